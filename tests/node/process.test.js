'use strict';
// Process lifetime: an open device client keeps Node running (like an open socket) with no
// timer of its own, and `close` lets the process exit by itself; a Registry never holds it.

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { startHub, runNode, hubRequest } = require('./helpers');

let hub;
before(async () => { hub = await startHub('node-process.log', 'lifeDevice'); });
after(() => hub && hub.stop());

// The child has no timers: only the open client can keep it alive until the desired change
// arrives; after close it must exit on its own.
const DEVICE_CHILD = `
const { Client, Mqtt } = require('iothub-twin');
const client = Client.fromConnectionString(process.env.CS, Mqtt);
client.setOptions({ ca: process.env.CA })
  .then(() => client.getTwin())
  .then((twin) => {
    twin.on('properties.desired.go', (value) => {
      console.log('go ' + value);
      client.close().then(() => console.log('closed'));
    });
    console.log('ready');
  })
  .catch((err) => { console.error(err); process.exitCode = 1; });
`;

test('an open client keeps the process alive; close lets it exit', async () => {
  const result = await runNode(['-e', DEVICE_CHILD], {
    env: { CS: hub.deviceCs('lifeDevice'), CA: hub.ca },
    onLine: async (line) => {
      if (line === 'ready') {
        const res = await hubRequest(hub, 'PATCH', '/twins/lifeDevice', { properties: { desired: { go: 'now' } } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), ['ready', 'go now', 'closed']);
});

test('a registry alone does not keep the process alive', async () => {
  const code = `
const { Registry } = require('iothub-twin');
Registry.fromConnectionString(process.env.CS, { ca: process.env.CA }).getTwin('lifeDevice')
  .then(({ responseBody }) => console.log('twin ' + responseBody.deviceId));`;
  const result = await runNode(['-e', code], { env: { CS: hub.serviceCs, CA: hub.ca } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'twin lifeDevice');
});
