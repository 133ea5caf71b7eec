'use strict';
// The device API (Client, Twin, Mqtt/MqttWs) against the emulator, with callbacks and promises.

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { PACKAGE, startHub, hubRequest, waitFor, recorder, viaCallback, deviceSas } = require('./helpers');
const { Client, Mqtt, MqttWs, Registry, errors } = require(PACKAGE);

let hub;
let registry;
before(async () => {
  hub = await startHub('node-device.log', 'cbDevice', 'promiseDevice', 'pathDevice', 'wsDevice', 'resyncDevice', 'sasDevice');
  registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca });
});
after(() => hub && hub.stop());

async function openClient(id, transport = Mqtt) {
  const client = Client.fromConnectionString(hub.deviceCs(id), transport);
  await client.setOptions({ ca: hub.ca });
  await client.open();
  return client;
}

async function setDesired(id, desired) {
  const { responseBody } = await registry.updateTwin(id, { properties: { desired } }, '*');
  return responseBody.properties.desired.$version;
}

describe('device client', () => {
  test('callbacks: open, getTwin, reported update, close', async () => {
    const client = Client.fromConnectionString(hub.deviceCs('cbDevice'), Mqtt);
    await viaCallback((cb) => client.setOptions({ ca: hub.ca }, cb));
    const connects = recorder(client, 'connect');
    await viaCallback((cb) => client.open(cb));
    await connects.next();
    const [twin] = await viaCallback((cb) => client.getTwin(cb));
    assert.equal(typeof twin.properties.desired.$version, 'number');
    await viaCallback((cb) => twin.properties.reported.update({ connectivity: { type: 'cellular' } }, cb));
    assert.deepEqual(twin.properties.reported.connectivity, { type: 'cellular' });
    const { responseBody } = await registry.getTwin('cbDevice');
    assert.equal(responseBody.properties.reported.connectivity.type, 'cellular');
    const disconnects = recorder(client, 'disconnect');
    await viaCallback((cb) => client.close(cb));
    await disconnects.next();
  });

  test('promises: desired patches keep properties.desired current; reported null deletes', async () => {
    const client = await openClient('promiseDevice');
    const twin = await client.getTwin();
    const patches = recorder(twin, 'properties.desired');
    await patches.next(); // registering fires with the current desired document (official semantics)
    const version = await setDesired('promiseDevice', { power_level: 1, telemetry: { interval: 30 } });
    const patch = await patches.next((p) => p.$version === version);
    assert.deepEqual(patch, { power_level: 1, telemetry: { interval: 30 }, $version: version });
    assert.equal(twin.properties.desired.power_level, 1);
    const v2 = await setDesired('promiseDevice', { power_level: null, telemetry: { mode: 'burst' } });
    await waitFor('second patch merged', () => twin.properties.desired.$version === v2);
    assert.equal('power_level' in twin.properties.desired, false);
    assert.deepEqual(twin.properties.desired.telemetry, { interval: 30, mode: 'burst' });

    await twin.properties.reported.update({ a: 1, b: { c: 2 } });
    await twin.properties.reported.update({ a: null });
    assert.deepEqual({ ...twin.properties.reported, $version: undefined }, { b: { c: 2 }, $version: undefined });
    const same = await client.getTwin();
    assert.equal(same, twin, 'getTwin returns the same Twin, refreshed');
    assert.equal(await twin.get(), twin);
    const [viaCb] = await viaCallback((cb) => twin.get(cb));
    assert.equal(viaCb, twin);
    assert.deepEqual(twin.properties.reported.b, { c: 2 });
    assert.equal('a' in twin.properties.reported, false);
    await client.close();
  });

  test('path listeners fire when a patch touches their subtree, with that subtree', async () => {
    await setDesired('pathDevice', { climate: { minTemperature: 18, maxTemperature: 25 }, fan: { speed: 1 } });
    const client = await openClient('pathDevice');
    const twin = await client.getTwin();
    const climate = recorder(twin, 'properties.desired.climate');
    const minimum = recorder(twin, 'properties.desired.climate.minTemperature');
    const fan = recorder(twin, 'properties.desired.fan');
    const unset = recorder(twin, 'properties.desired.nothing.here');
    // A listener on a path that is already set is called at once with its current value.
    assert.deepEqual(await climate.next(), { minTemperature: 18, maxTemperature: 25 });
    assert.equal(await minimum.next(), 18);
    await fan.next();

    const version = await setDesired('pathDevice', { climate: { maxTemperature: 30 } });
    const all = recorder(twin, 'properties.desired');
    await all.next((p) => p.$version === version);
    // The climate listener gets the patch's subtree; minTemperature and fan were not touched.
    assert.deepEqual(climate.seen.at(-1), { maxTemperature: 30 });
    assert.equal(climate.seen.length, 2);
    assert.equal(minimum.seen.length, 1);
    assert.equal(fan.seen.length, 1);
    assert.equal(unset.seen.length, 0);
    assert.deepEqual(twin.properties.desired.climate, { minTemperature: 18, maxTemperature: 30 });
    await client.close();
  });

  test('MqttWs transport', async () => {
    const client = Client.fromConnectionString(hub.deviceCs('wsDevice'), MqttWs);
    await client.setOptions({ ca: hub.ca, gatewayHostName: `localhost:${hub.ready.https_port}` });
    await client.open();
    const twin = await client.getTwin();
    await twin.properties.reported.update({ transport: 'ws' });
    const { responseBody } = await registry.getTwin('wsDevice');
    assert.equal(responseBody.properties.reported.transport, 'ws');
    await client.close();
  });

  test('reconnect: the connection drops, desired changes meanwhile, one diff patch resyncs the twin', async () => {
    const client = await openClient('resyncDevice');
    const twin = await client.getTwin();
    await setDesired('resyncDevice', { keep: 1, remove: 2 });
    await waitFor('first patch', () => twin.properties.desired.remove === 2);
    const disconnects = recorder(client, 'disconnect');
    const connects = recorder(client, 'connect');
    const patches = recorder(twin, 'properties.desired');
    // Fail reconnects a few times so the desired change lands while the device is away.
    await hubRequest(hub, 'PUT', '/emulator/faults', { refuseConnects: 1, deviceId: 'resyncDevice' });
    const dropped = await hubRequest(hub, 'DELETE', '/emulator/connections/resyncDevice');
    assert.equal(dropped.status, 204);
    await disconnects.next();
    const version = await setDesired('resyncDevice', { remove: null, added: { x: 1 } });
    await connects.next();
    const patch = await patches.next((p) => p.$version === version, 'resync patch');
    assert.deepEqual(patch, { remove: null, added: { x: 1 }, $version: version });
    assert.deepEqual({ ...twin.properties.desired }, { keep: 1, added: { x: 1 }, $version: version });
    await twin.properties.reported.update({ afterReconnect: true });
    await client.close();
  });

  test('fromSharedAccessSignature', async () => {
    const token = deviceSas(hub.deviceCs('sasDevice'), 600);
    const client = Client.fromSharedAccessSignature(token, Mqtt);
    await client.setOptions({ ca: hub.ca, gatewayHostName: `localhost:${hub.ready.mqtt_port}` });
    await client.open();
    const twin = await client.getTwin();
    await twin.properties.reported.update({ via: 'sas' });
    const { responseBody } = await registry.getTwin('sasDevice');
    assert.equal(responseBody.properties.reported.via, 'sas');
    await client.close();
  });

  test('X.509: a CA-signed device certificate through setOptions({cert, key})', async () => {
    await registry.create({ deviceId: 'x509Device', authentication: { type: 'certificateAuthority' } });
    const issued = await hubRequest(hub, 'POST', '/emulator/devices/x509Device/certificate');
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const cs = `HostName=localhost;DeviceId=x509Device;x509=true;GatewayHostName=localhost:${hub.ready.mqtt_port}`;
    const client = Client.fromConnectionString(cs, Mqtt);
    await client.setOptions({ ca: hub.ca, cert: issued.body.certificate, key: issued.body.privateKey });
    const twin = await client.getTwin(); // opens on demand, like the official client
    await twin.properties.reported.update({ via: 'x509' });
    await client.close();
  });
});

describe('device errors: official names and stable codes', () => {
  test('a wrong key is UnauthorizedError / ERR_CREDENTIAL', async () => {
    const cs = hub.deviceCs('cbDevice').replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.from('wrong key').toString('base64')}`);
    const client = Client.fromConnectionString(cs, Mqtt);
    await client.setOptions({ ca: hub.ca });
    await assert.rejects(client.open(), (err) => {
      assert.ok(err instanceof errors.UnauthorizedError);
      assert.equal(err.name, 'UnauthorizedError');
      assert.equal(err.code, 'ERR_CREDENTIAL');
      assert.doesNotMatch(err.message, /wrong key|SharedAccessKey=/);
      return true;
    });
    const [err] = await new Promise((resolve) => client.open((e) => resolve([e])));
    assert.equal(err.name, 'UnauthorizedError');
  });

  test('a malformed connection string is ArgumentError / ERR_INVALID_CONNECTION_STRING', async () => {
    const client = Client.fromConnectionString('HostName=h;DeviceId=d', Mqtt);
    await assert.rejects(client.open(), { name: 'ArgumentError', code: 'ERR_INVALID_CONNECTION_STRING' });
    assert.throws(() => Client.fromConnectionString('', Mqtt), { name: 'ArgumentError', code: 'ERR_INVALID_ARGUMENT' });
    assert.throws(() => Client.fromConnectionString('x', function Amqp() {}), { name: 'ArgumentError' });
  });

  test('a twin patch breaking the limits is ArgumentError / ERR_INVALID_TWIN; a throttled one ThrottlingError', async () => {
    const client = await openClient('cbDevice');
    const twin = await client.getTwin();
    await assert.rejects(twin.properties.reported.update({ 'bad.key': 1 }), (err) => {
      assert.equal(err.name, 'ArgumentError');
      assert.equal(err.code, 'ERR_INVALID_TWIN');
      return true;
    });
    await hubRequest(hub, 'PUT', '/emulator/faults', { throttleTwinRequests: 1, deviceId: 'cbDevice' });
    await assert.rejects(twin.properties.reported.update({ ok: 1 }), (err) => {
      assert.ok(err instanceof errors.ThrottlingError);
      assert.equal(err.code, 'ERR_THROTTLED');
      assert.equal(err.statusCode, 429);
      return true;
    });
    await client.close();
    await assert.rejects(twin.properties.reported.update({ ok: 2 }), { name: 'NotConnectedError', code: 'ERR_CLIENT_CLOSED' });
  });

  test('an unanswered twin request is TimeoutError / ERR_TIMEOUT after operationTimeoutSecs', async () => {
    const client = Client.fromConnectionString(hub.deviceCs('cbDevice'), Mqtt);
    await client.setOptions({ ca: hub.ca, operationTimeoutSecs: 1 });
    const twin = await client.getTwin();
    await hubRequest(hub, 'PUT', '/emulator/faults', { withholdTwinResponses: 1, deviceId: 'cbDevice' });
    await assert.rejects(twin.properties.reported.update({ late: true }), (err) => {
      assert.ok(err instanceof errors.TimeoutError);
      assert.equal(err.code, 'ERR_TIMEOUT');
      return true;
    });
    await client.close();
  });

  test("'error' is emitted when the hub keeps refusing the credentials (device deleted)", async () => {
    const { responseBody: created } = await registry.create({ deviceId: 'doomedDevice' });
    const key = created.authentication.symmetricKey.primaryKey;
    const cs = `HostName=localhost;DeviceId=doomedDevice;SharedAccessKey=${key};GatewayHostName=localhost:${hub.ready.mqtt_port}`;
    const client = Client.fromConnectionString(cs, Mqtt);
    await client.setOptions({ ca: hub.ca });
    await client.open();
    const failures = recorder(client, 'error');
    await registry.delete('doomedDevice');
    await hubRequest(hub, 'DELETE', '/emulator/connections/doomedDevice');
    const err = await failures.next(() => true, "'error' event");
    assert.equal(err.name, 'UnauthorizedError');
    assert.equal(err.code, 'ERR_CREDENTIAL');
    await client.close();
  });

  test('a closed native client fails calls with ERR_CLIENT_CLOSED, set by the native side', async () => {
    const client = await openClient('cbDevice');
    const native = client._native;
    await client.close();
    await assert.rejects(native.getTwin(), (err) => err.code === 'ERR_CLIENT_CLOSED'
      && err.name === 'NotConnectedError' && err.message === 'the client is closed'
      && !('statusCode' in err) && !('trackingId' in err));
  });
});
