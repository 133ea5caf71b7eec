'use strict';
// The official Node device SDK (azure-iot-device 1.18.4 + azure-iot-device-mqtt 1.16.4) against
// the emulator: the device part of the device-twin guides. Run as a child process by
// device_flow.test.js, because Node reads NODE_EXTRA_CA_CERTS (the emulator's CA, needed by the
// service SDK that sets desired properties) only at process start.
//
//   IOTHUB_CONNECTION_STRING=... EMULATOR_ENTRA_TOKEN=... NODE_EXTRA_CA_CERTS=/abs/ca.pem \
//     node device_flow.js Mqtt|MqttWs <deviceId>
//
// Flow: create the device through REST (azure-iothub), connect (Mqtt: mqtts://localhost:8883;
// MqttWs: wss://localhost:443/$iothub/websocket), get the twin, patch reported
// {connectivity: {type: cellular}}, receive a desired patch set through REST, close, open again on
// the same client, get the twin again, receive a second desired patch, clear desired (a service
// update setting it to null); delete the device.
// Prints "ok - <step>" per step and "SCENARIO OK <transport>" at the end; exits 1 with details on
// the first failure. The official SDK has no timeout on twin requests, so every step has one.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const { Client } = require('azure-iot-device');
const { Mqtt, MqttWs } = require('azure-iot-device-mqtt');
const { Registry } = require('azure-iothub');

const STEP_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

const REPORTED = { connectivity: { type: 'cellular' } };
const FIRST_DESIRED = { power_level: 1, telemetry: { interval: 30 } };
// null removes a key (merge patch); the notification carries the null as it was set.
const SECOND_DESIRED = { power_level: null, telemetry: { interval: 10, mode: 'burst' } };
const FINAL_DESIRED = { telemetry: { interval: 10, mode: 'burst' } };
const DESIRED_FILTER = '$iothub/twin/PATCH/properties/desired/#';
const TRANSPORTS = { Mqtt: [Mqtt, 'mqtt'], MqttWs: [MqttWs, 'websocket'] };

function step(name) {
  console.log(`ok - ${name}`);
}

/** User properties of a twin section: no `$version`/`$metadata`, no functions (reported.update). */
function userProps(section) {
  return JSON.parse(JSON.stringify(Object.fromEntries(
    Object.entries(section || {}).filter(([k, v]) => !k.startsWith('$') && typeof v !== 'function'))));
}

/** `promise`, or a rejection naming `what` after `ms`. */
function bounded(what, promise, ms = STEP_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms ` +
      '(the official SDK has no timeout here)')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Desired patches seen by the twin's 'properties.desired' listener, with bounded waits. */
class Patches {
  constructor() {
    this.received = [];
    this.waiters = [];
  }

  listener() {
    return (patch) => {
      // The SDK emits live objects (on get() the twin's own desired document): keep a copy.
      this.received.push(JSON.parse(JSON.stringify(patch)));
      for (const wake of this.waiters.splice(0)) wake();
    };
  }

  /**
   * The first event with this `$version`. Registering the listener and every `getTwin()`
   * re-emit the whole desired document too (official-sdk-wire.md §6), so events are matched by
   * `$version`, and the first with a new version is the hub's notification.
   */
  async waitForVersion(version, ms = STEP_TIMEOUT_MS) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.find((p) => p.$version === version);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no desired patch with $version ${version} within ${ms} ms; ` +
          `received: ${JSON.stringify(this.received)}`);
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }
}

/** The emulator's control API (not IoT Hub): its view of the device's open MQTT connection. */
function controlGet(pathname) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: 'localhost', port: 443, path: pathname, method: 'GET', timeout: STEP_TIMEOUT_MS,
      headers: { Authorization: `Bearer ${process.env.EMULATOR_ENTRA_TOKEN}` },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${pathname}: HTTP ${res.statusCode} ${body}`));
        else resolve(JSON.parse(body));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${pathname}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function connectionOf(deviceId) {
  const all = await controlGet('/emulator/connections');
  const mine = all.filter((c) => c.deviceId === deviceId);
  assert.equal(mine.length, 1, `expected one connection of ${deviceId}: ${JSON.stringify(all)}`);
  return mine[0];
}

/**
 * Adding a 'properties.desired' listener makes the SDK SUBSCRIBE in the background (`twin.on`
 * has no completion callback). A desired push is only sent to a subscribed connection, so wait,
 * bounded, until the emulator lists the subscription before the back-end sets desired.
 */
async function waitForDesiredSubscription(deviceId, ms = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const connection = await connectionOf(deviceId);
    if (connection.subscriptions.some((s) => s.filter === DESIRED_FILTER)) return connection;
    if (Date.now() > deadline) {
      throw new Error(`no ${DESIRED_FILTER} subscription within ${ms} ms: ${JSON.stringify(connection)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The back-end's desired update (with the twin's etag); checks the new desired $version. */
async function setDesired(registry, deviceId, patch, expectedVersion) {
  const { responseBody: current } = await registry.getTwin(deviceId);
  assert.equal(current.properties.desired.$version, expectedVersion - 1);
  await current.update({ properties: { desired: patch } });
  assert.equal(current.properties.desired.$version, expectedVersion, JSON.stringify(current.properties.desired));
}

function updateReported(twin, patch) {
  return new Promise((resolve, reject) => {
    twin.properties.reported.update(patch, (err) => (err ? reject(err) : resolve()));
  });
}

async function flow(transportName, registry, deviceId) {
  const [Transport, emulatorTransport] = TRANSPORTS[transportName];
  const ca = fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8');

  // The device, created through REST with its keys.
  const primaryKey = crypto.randomBytes(32).toString('base64');
  await bounded('create device', registry.create({
    deviceId, status: 'enabled',
    authentication: { symmetricKey: { primaryKey, secondaryKey: crypto.randomBytes(32).toString('base64') } },
  }));
  const cs = `HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${primaryKey}`;
  step('create device');

  const client = Client.fromConnectionString(cs, Transport);
  const patches = new Patches();
  try {
    await bounded('setOptions', client.setOptions({ ca }));
    await bounded('open', client.open());
    assert.equal((await connectionOf(deviceId)).transport, emulatorTransport);
    step('connect');

    const twin = await bounded('getTwin', client.getTwin());
    assert.deepEqual(userProps(twin.properties.desired), {});
    assert.equal(twin.properties.desired.$version, 1);
    assert.deepEqual(userProps(twin.properties.reported), {});
    assert.equal(twin.properties.reported.$version, 1);
    step('get twin');

    await bounded('reported update', updateReported(twin, REPORTED));
    const { responseBody: afterReport } = await bounded('REST getTwin', registry.getTwin(deviceId));
    assert.deepEqual(userProps(afterReport.properties.reported), REPORTED);
    assert.equal(afterReport.properties.reported.connectivity.type, 'cellular');
    assert.equal(afterReport.properties.reported.$version, 2);
    step('patch reported');

    twin.on('properties.desired', patches.listener());
    await waitForDesiredSubscription(deviceId);
    await bounded('set desired', setDesired(registry, deviceId, FIRST_DESIRED, 2));
    assert.deepEqual(await patches.waitForVersion(2), { ...FIRST_DESIRED, $version: 2 });
    assert.deepEqual(userProps(twin.properties.desired), FIRST_DESIRED);
    step('receive desired patch');

    await bounded('close', client.close());
    await bounded('open again', client.open());
    assert.equal((await connectionOf(deviceId)).transport, emulatorTransport);
    step('reconnect');

    const again = await bounded('getTwin after reconnect', client.getTwin());
    assert.deepEqual(userProps(again.properties.desired), FIRST_DESIRED);
    assert.equal(again.properties.desired.$version, 2);
    assert.deepEqual(userProps(again.properties.reported), REPORTED);
    assert.equal(again.properties.reported.$version, 2);
    step('get twin after reconnect');

    await bounded('set desired again', setDesired(registry, deviceId, SECOND_DESIRED, 3));
    assert.deepEqual(await patches.waitForVersion(3), { ...SECOND_DESIRED, $version: 3 });
    assert.deepEqual(userProps(again.properties.desired), FINAL_DESIRED);
    const { responseBody: last } = await bounded('REST getTwin', registry.getTwin(deviceId));
    assert.deepEqual(userProps(last.properties.desired), FINAL_DESIRED);
    assert.equal(last.properties.desired.$version, 3);
    assert.deepEqual(userProps(last.properties.reported), REPORTED);
    step('receive desired patch after reconnect');

    // Setting desired to null removes every desired property, as IoT Hub does: the device gets
    // one patch nulling each removed key, and its twin's desired properties are then empty.
    await bounded('clear desired', setDesired(registry, deviceId, null, 4));
    assert.deepEqual(await patches.waitForVersion(4), { telemetry: null, $version: 4 });
    assert.deepEqual(userProps(again.properties.desired), {});
    const { responseBody: cleared } = await bounded('REST getTwin', registry.getTwin(deviceId));
    assert.deepEqual(userProps(cleared.properties.desired), {});
    assert.equal(cleared.properties.desired.$version, 4);
    step('clear desired');
  } finally {
    await bounded('close', client.close()).catch(() => {});
    await bounded('delete device', registry.delete(deviceId)).catch(() => {});
  }
}

async function main() {
  const [transportName, deviceId] = process.argv.slice(2);
  const cs = process.env.IOTHUB_CONNECTION_STRING;
  if (!cs || !deviceId || !TRANSPORTS[transportName] || !process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error('usage: IOTHUB_CONNECTION_STRING=... EMULATOR_ENTRA_TOKEN=... NODE_EXTRA_CA_CERTS=ca.pem ' +
      'node device_flow.js Mqtt|MqttWs <deviceId>');
  }
  await flow(transportName, Registry.fromConnectionString(cs), deviceId);
  console.log(`SCENARIO OK ${transportName}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`not ok - ${err.name}: ${err.message}`);
    if (err.response) console.error(`  HTTP ${err.response.statusCode}; body: ${JSON.stringify(err.responseBody)}`);
    if (err.stack) console.error(err.stack);
    process.exit(1);
  },
);
