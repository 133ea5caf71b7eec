'use strict';
// A user's mocha test (copied into a fresh npm project as test/thermostat.spec.js): the hub from
// require('iothub-twin/testing') in before/after hooks, a device app and a back-end call, a
// dropped connection. `MODE=hang` instead records the emulator's pid in $PID_FILE and waits, for
// the killed-runner check.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Client, Mqtt, Registry } = require('iothub-twin');
const { startHub } = require('iothub-twin/testing');

describe('the thermostat under mocha', function () {
  this.timeout(60_000);
  let hub;
  before(async () => { hub = await startHub(); });
  after(() => hub.stop());

  it('reports its target, also after a dropped connection', async () => {
    if (process.env.MODE === 'hang') {
      fs.writeFileSync(process.env.PID_FILE, String(hub.pid));
      await new Promise(() => {}); // until the runner is killed
    }
    const deviceCs = await hub.createDevice('mocha-thermostat');
    const registry = Registry.fromConnectionString(hub.serviceConnectionString, { ca: hub.caCert });
    const client = Client.fromConnectionString(deviceCs, Mqtt);
    await client.setOptions({ ca: hub.caCert });
    try {
      const twin = await client.getTwin();
      await twin.properties.reported.update({ temperature: 21 });
      await hub.dropConnection('mocha-thermostat');
      await twin.properties.reported.update({ temperature: 22 });
      const { responseBody } = await registry.getTwin('mocha-thermostat');
      assert.equal(responseBody.properties.reported.temperature, 22);
    } finally {
      await client.close();
    }
  });
});
