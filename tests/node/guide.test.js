'use strict';
// The Node device-twin guide's two apps (samples/node) run unchanged except for their
// `require` lines, against the emulator, trusting its CA through NODE_EXTRA_CA_CERTS as the
// official SDK would.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { REPO_ROOT } = require('./emulator');
const { startHub, runNode } = require('./helpers');

const SAMPLES = path.join(REPO_ROOT, 'samples', 'node');
let hub;
before(async () => { hub = await startHub('node-guide.log', 'myDeviceId'); });
after(() => hub && hub.stop());

test('the samples are the guide code: iothub-twin appears only in require lines, no emulator options', () => {
  for (const file of ['ReportConnectivity.js', 'AddTagsAndQuery.js']) {
    const code = fs.readFileSync(path.join(SAMPLES, file), 'utf8').split('\n').filter((l) => !l.trim().startsWith('//'));
    const mentions = code.filter((l) => l.includes('iothub-twin'));
    assert.ok(mentions.length >= 1, file);
    for (const line of mentions) assert.match(line, /^var \w+ = require\('iothub-twin'\)(\.\w+)?;$/, `${file}: ${line}`);
    assert.equal(code.some((l) => /setOptions|\bca\b|gatewayHostName/.test(l)), false, file);
  }
});

test("the guide's device app, then its back-end app", async () => {
  const env = { NODE_EXTRA_CA_CERTS: hub.ready.ca_cert };
  const device = await runNode([path.join(SAMPLES, 'ReportConnectivity.js')], {
    env: { ...env, IOTHUB_DEVICE_CONNECTION_STRING: hub.deviceCs('myDeviceId') },
  });
  assert.equal(device.code, 0, device.stderr);
  assert.deepEqual(device.stdout.trim().split('\n'), ['client opened', 'twin state reported']);

  const service = await runNode([path.join(SAMPLES, 'AddTagsAndQuery.js')], {
    env: { ...env, IOTHUB_CONNECTION_STRING: hub.serviceCs },
  });
  assert.equal(service.code, 0, service.stderr);
  assert.equal(service.stderr, '');
  const lines = service.stdout.trim().split('\n');
  assert.equal(lines[0], 'myDeviceId twin updated successfully');
  assert.deepEqual(lines.slice(1).sort(), [
    'Devices in Redmond43 using cellular network: myDeviceId',
    'Devices in Redmond43: myDeviceId',
  ]);
});

test('without the CA the guide code fails cleanly (NODE_EXTRA_CA_CERTS is what makes it work)', async () => {
  const service = await runNode([path.join(SAMPLES, 'AddTagsAndQuery.js')], {
    env: { IOTHUB_CONNECTION_STRING: hub.serviceCs, NODE_EXTRA_CA_CERTS: '' },
    ms: 120_000,
  });
  assert.equal(service.code, 0);
  assert.match(service.stderr, /^NotConnectedError: /);
});
