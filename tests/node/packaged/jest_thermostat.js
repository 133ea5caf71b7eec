'use strict';
// A user's jest test (copied into a fresh npm project as thermostat.test.js): the hub from
// require('iothub-twin/testing') in beforeAll/afterAll, a device app and a back-end call, a
// dropped connection, a fault from the control API.

const { Client, Mqtt, Registry } = require('iothub-twin');
const { startHub } = require('iothub-twin/testing');

jest.setTimeout(60_000);
let hub;
beforeAll(async () => { hub = await startHub(); });
afterAll(() => hub.stop());

test('the thermostat reports its target, also after a dropped connection', async () => {
  const deviceCs = await hub.createDevice('jest-thermostat');
  const registry = Registry.fromConnectionString(hub.serviceConnectionString, { ca: hub.caCert });
  const client = Client.fromConnectionString(deviceCs, Mqtt);
  await client.setOptions({ ca: hub.caCert });
  try {
    const twin = await client.getTwin();
    await twin.properties.reported.update({ temperature: 21 });
    await hub.setFaults({ deviceId: 'jest-thermostat', refuseConnects: 1 }); // the first reconnect is refused
    await hub.dropConnection('jest-thermostat');
    await twin.properties.reported.update({ temperature: 22 });
    expect((await hub.faults()).refuseConnects).toBe(0);
    const { responseBody } = await registry.getTwin('jest-thermostat');
    expect(responseBody.properties.reported.temperature).toBe(22);
  } finally {
    await client.close();
  }
});
