'use strict';
// The official Node service SDK (azure-iothub 1.16.6) against the emulator (run: node --test tests/compat/node/).
//
// `before` starts the emulator binary (emulator.js) on 127.0.0.1 with HTTPS on port 443, because
// the Node service SDK hard-codes 443 (spec/official-sdk-wire.md §2.4); `after` stops it. Each scenario runs in a
// child `node service_flow.js` with NODE_EXTRA_CA_CERTS set to the emulator's CA, since Node reads
// that variable only at process start.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, stopEmulator, stderrTail } = require('../../node/emulator');

const FLOW_SCRIPT = path.join(__dirname, 'service_flow.js');
const SCENARIO_TIMEOUT_MS = 120_000;

function runScenario(emu, scenario) {
  const deviceId = `compat-node-${scenario}-${crypto.randomBytes(6).toString('hex')}`;
  const env = {
    ...process.env,
    // The machine presets NODE_EXTRA_CA_CERTS to the system bundle: always override.
    NODE_EXTRA_CA_CERTS: emu.ready.ca_cert,
    IOTHUB_CONNECTION_STRING: emu.ready.service_connection_string,
  };
  const res = spawnSync(process.execPath, [FLOW_SCRIPT, scenario, deviceId], {
    env, encoding: 'utf8', timeout: SCENARIO_TIMEOUT_MS,
  });
  const output = `--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`;
  const failure = `scenario ${scenario} failed (exit ${res.status}, signal ${res.signal}` +
    `${res.error ? ', ' + res.error.message : ''}):\n${output}\n--- emulator stderr (tail) ---\n` +
    stderrTail(emu.stderrPath);
  assert.equal(res.status, 0, failure);
  assert.match(res.stdout, new RegExp(`^SCENARIO OK ${scenario}$`, 'm'), failure);
  return res.stdout;
}

describe('official Node service SDK (azure-iothub 1.16.6) against the emulator', () => {
  let emu;

  before(async () => {
    emu = await startEmulator({ logName: 'emulator-node.stderr', httpsPort: 443 });
    const r = emu.ready;
    assert.equal(r.event, 'ready');
    assert.equal(r.https_port, 443);
    assert.ok(r.ca_cert && fs.existsSync(r.ca_cert), `ca_cert ${r.ca_cert} must exist`);
    // Port 443 means no port in HostName, which is what the Node SDK needs.
    assert.match(r.service_connection_string, /(^|;)HostName=localhost(;|$)/);
    assert.match(r.service_connection_string, /(^|;)SharedAccessKeyName=iothubowner(;|$)/);
  });

  after(async () => {
    await stopEmulator(emu);
  });

  it('does the guide flow: create, get twin, update with etag, stale etag 412, replace, delete', () => {
    const out = runScenario(emu, 'flow');
    for (const stepName of ['create device', 'get twin', 'update twin with etag', 'stale etag gives 412',
      'replace twin', 'delete device']) {
      assert.match(out, new RegExp(`^ok - ${stepName}$`, 'm'));
    }
  });

  it('bulk-creates devices, runs a twin-update job over them and reads back what it wrote', () => {
    const out = runScenario(emu, 'jobs');
    for (const stepName of ['bulk create', 'twin update job', 'job query', 'bulk remove']) {
      assert.match(out, new RegExp(`^ok - ${stepName}$`, 'm'));
    }
  });

  it('rejects a duplicate create with 409 DeviceAlreadyExistsError', () => {
    const out = runScenario(emu, 'duplicate');
    assert.match(out, /^ok - duplicate create gives 409$/m);
  });
});
