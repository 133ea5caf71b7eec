'use strict';
// require('iothub-twin/testing') from the source tree: where the binary is looked for, the
// identity and fault helpers against a hub, and their errors. (The packaged suite,
// tests/node/packaged, runs it as users do, from installed packages.)

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { emulatorBinary } = require('./emulator');
const { PACKAGE } = require('./helpers');
const { startHub, findEmulator, HubRequestError, FIXED_PORTS_LOCK } = require(path.join(PACKAGE, 'testing.js'));

test('without a binary the error names the npm package, the variable and PATH', () => {
  const saved = { PATH: process.env.PATH, IOTHUB_TWIN_EMULATOR: process.env.IOTHUB_TWIN_EMULATOR };
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'iothub-twin-empty-'));
  try {
    delete process.env.IOTHUB_TWIN_EMULATOR;
    process.env.PATH = empty;
    assert.throws(() => findEmulator(), /iothub-twin-emulator npm package.*\$IOTHUB_TWIN_EMULATOR.*PATH/s);
    process.env.IOTHUB_TWIN_EMULATOR = path.join(empty, 'missing');
    assert.throws(() => findEmulator(), /\$IOTHUB_TWIN_EMULATOR is not an executable file/);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    fs.rmSync(empty, { recursive: true });
  }
});

test('identities, connection drops and faults over the control API', async () => {
  const hub = await startHub({ binary: emulatorBinary() });
  try {
    const cs = await hub.createDevice('testing-d1');
    assert.match(cs, new RegExp(`^HostName=localhost;DeviceId=testing-d1;SharedAccessKey=[^;]+;GatewayHostName=localhost:${hub.mqttPort}$`));
    assert.match(await hub.createModule('testing-d1', 'm1'), /;ModuleId=m1;SharedAccessKey=/);
    await assert.rejects(hub.dropConnection('testing-d1'), (err) => err instanceof HubRequestError
      && err.statusCode === 404 && /DeviceNotOnline/.test(err.body));
    await assert.rejects(hub.setFaults({ dropEverything: 1 }), /unknown fault dropEverything/);
    await hub.setFaults({ deviceId: 'testing-d1', throttleTwinRequests: 3 });
    assert.deepEqual(await hub.faults(), {
      withholdTwinResponses: 0, delayTwinResponsesMs: 0, throttleTwinRequests: 3,
      throttleServiceRequests: 0, refuseConnects: 0, deviceId: 'testing-d1',
    });
    await hub.clearFaults();
    assert.equal((await hub.faults()).throttleTwinRequests, 0);
    await hub.deleteDevice('testing-d1');
    await assert.rejects(hub.deleteDevice('testing-d1'), (err) => err.statusCode === 404);
  } finally {
    await hub.stop();
  }
  assert.equal(fs.existsSync(`/proc/${hub.pid}`), false);
});

// After stop() the emulator is gone (flock exits only after its child), so the lock is free; the
// test does not take the lock itself then, as another process may be waiting for it.
test('fixedPorts: 8883 and 443 under the lock, held until the emulator is gone', async () => {
  const lockFree = () => spawnSync('flock', ['--nonblock', FIXED_PORTS_LOCK, 'true']).status === 0;
  const hub = await startHub({ binary: emulatorBinary(), fixedPorts: true });
  try {
    assert.deepEqual([hub.httpsPort, hub.mqttPort], [443, 8883]);
    assert.match(fs.readFileSync(`/proc/${hub.pid}/cmdline`, 'utf8'), /iothub-twin-emulator/);
    assert.doesNotMatch(await hub.createDevice('fixed-d1'), /GatewayHostName/);
    assert.equal(lockFree(), false);
  } finally {
    await hub.stop();
  }
  assert.equal(fs.existsSync(`/proc/${hub.pid}`), false);
});
