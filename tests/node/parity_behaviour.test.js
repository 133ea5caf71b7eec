'use strict';
// What the parity names do, in the style of the official SDKs' e2e twin suites: a device made
// from an official-style description (no authentication.type), identity updates and listings,
// module twins, SAS tokens made by SharedAccessSignature and renewed with
// updateSharedAccessSignature keeping the desired subscription, a service Twin keeping fields
// the caller added, and the official azure-iot-device-mqtt transport taken as is.

const assert = require('node:assert/strict');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { PACKAGE, startHub, recorder } = require('./helpers');
const {
  Client, ModuleClient, Registry, SharedAccessSignature, ServiceSharedAccessSignature, ConnectionString, errors,
  SharedAccessKeyAuthenticationProvider,
} = require(PACKAGE);
const officialMqtt = require(path.join(__dirname, '..', 'compat', 'node_modules', 'azure-iot-device-mqtt'));

let hub;
let registry;
before(async () => {
  hub = await startHub('node-parity.log');
  registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca });
});
after(() => hub && hub.stop());

const KEY = Buffer.alloc(32, 7).toString('base64');
const gateway = () => `localhost:${hub.ready.mqtt_port}`;

describe('registry, as the official samples call it', () => {
  test('create and update without authentication.type; list; modules', async () => {
    const { responseBody: created } = await registry.create({
      deviceId: 'parityDev', status: 'enabled',
      authentication: { symmetricKey: { primaryKey: KEY, secondaryKey: KEY } },
    });
    assert.equal(created.authentication.type, 'sas');
    assert.equal(created.authentication.symmetricKey.primaryKey, KEY);
    const { responseBody: updated } = await registry.update({
      deviceId: 'parityDev', status: 'disabled', etag: created.etag,
      authentication: { symmetricKey: { primaryKey: KEY, secondaryKey: KEY } },
    });
    assert.equal(updated.status, 'disabled');
    await assert.rejects(registry.update({ deviceId: 'parityDev', status: 'enabled', etag: created.etag }),
      (err) => err instanceof errors.InvalidEtagError || err instanceof errors.PreconditionFailedError);
    await registry.update({ deviceId: 'parityDev', status: 'enabled' });
    const { responseBody: devices } = await registry.list();
    assert.ok(devices.some((d) => d.deviceId === 'parityDev'));

    await registry.addModule({ deviceId: 'parityDev', moduleId: 'm1' });
    const { responseBody: module } = await registry.getModule('parityDev', 'm1');
    assert.equal(module.moduleId, 'm1');
    const { responseBody: changed } = await registry.updateModule({ ...module, managedBy: 'me' });
    assert.equal(changed.managedBy, 'me');
    const { responseBody: modules } = await registry.getModulesOnDevice('parityDev');
    assert.deepEqual(modules.map((m) => m.moduleId), ['m1']);
    const { httpResponse } = await registry.removeModule('parityDev', 'm1');
    assert.equal(httpResponse.statusCode, 204);
    await assert.rejects(registry.getModule('parityDev', 'm1'), (err) => err.statusCode === 404);
  });

  test('Registry.fromSharedAccessSignature with a ServiceSharedAccessSignature token', async () => {
    const parts = ConnectionString.parse(hub.serviceCs, ['HostName', 'SharedAccessKeyName', 'SharedAccessKey']);
    const token = ServiceSharedAccessSignature.create(parts.HostName, parts.SharedAccessKeyName, parts.SharedAccessKey, Math.floor(Date.now() / 1000) + 600);
    assert.equal(token.skn, parts.SharedAccessKeyName);
    const viaToken = Registry.fromSharedAccessSignature(token.toString(), { ca: hub.ca });
    await registry.create({ deviceId: 'paritySasRegistry' });
    const { responseBody } = await viaToken.get('paritySasRegistry');
    assert.equal(responseBody.deviceId, 'paritySasRegistry');
    const deviceToken = SharedAccessSignature.create(parts.HostName, 'paritySasRegistry', parts.SharedAccessKey, Math.floor(Date.now() / 1000) + 600);
    assert.throws(() => Registry.fromSharedAccessSignature(deviceToken.toString()), { name: 'ArgumentError' });
  });

  test('a service Twin keeps the fields its user added; queries start with a null token', async () => {
    await registry.create({ deviceId: 'parityTwin' });
    const { responseBody: twin } = await registry.getTwin('parityTwin');
    twin.myNote = 'kept';
    await twin.update({ tags: { plant: 'A' }, properties: { desired: { rate: 1, gone: null } } });
    assert.equal(twin.myNote, 'kept');
    assert.equal(twin.tags.plant, 'A');
    assert.equal(twin.properties.desired.rate, 1);
    const query = registry.createQuery("SELECT * FROM devices WHERE deviceId = 'parityTwin'");
    assert.equal(query.continuationToken, null);
    const { result } = await query.nextAsTwin();
    assert.equal(result[0].deviceId, 'parityTwin');
    assert.equal(query.continuationToken, null);
    assert.equal(query.hasMoreResults, false);
  });
});

describe('device and module clients', () => {
  test('SharedAccessSignature.create, then updateSharedAccessSignature keeps the subscription', async () => {
    const { responseBody: device } = await registry.create({ deviceId: 'paritySas' });
    const key = device.authentication.symmetricKey.primaryKey;
    const expiry = () => Math.floor(Date.now() / 1000) + 600;
    const sas = SharedAccessSignature.create('localhost', 'paritySas', key, expiry());
    assert.equal(sas.sr, 'localhost%2Fdevices%2FparitySas');
    assert.deepEqual(SharedAccessSignature.parse(sas.toString()).sr, sas.sr);
    const client = Client.fromSharedAccessSignature(sas.toString(), officialMqtt.Mqtt);
    assert.deepEqual(await client.setOptions({ ca: hub.ca, gatewayHostName: gateway() }), { type: 'TransportConfigured' });
    await client.open();
    const twin = await client.getTwin();
    const patches = recorder(twin, 'properties.desired');
    const result = await client.updateSharedAccessSignature(SharedAccessSignature.create('localhost', 'paritySas', key, expiry() + 60).toString());
    assert.deepEqual(result, { type: 'SharedAccessSignatureUpdated', needToReconnect: true });
    await registry.updateTwin('paritySas', { properties: { desired: { afterRenewal: 1 } } }, '*');
    await patches.next((p) => p.afterRenewal === 1, 'a desired patch after the renewal');
    await assert.rejects(client.updateSharedAccessSignature(SharedAccessSignature.create('localhost', 'someoneElse', key, expiry()).toString()),
      (err) => err.name === 'ArgumentError');
    await client.close();
  });

  test('fromAuthenticationProvider with a shared access key provider', async () => {
    const { responseBody: device } = await registry.create({ deviceId: 'parityProvider' });
    const cs = `HostName=localhost;DeviceId=parityProvider;SharedAccessKey=${device.authentication.symmetricKey.primaryKey};GatewayHostName=${gateway()}`;
    const provider = SharedAccessKeyAuthenticationProvider.fromConnectionString(cs, 600, 60);
    const client = Client.fromAuthenticationProvider(provider, officialMqtt.Mqtt);
    await client.setOptions({ ca: hub.ca });
    await (await client.getTwin()).properties.reported.update({ via: 'provider' });
    await client.close();
    const { responseBody: twin } = await registry.getTwin('parityProvider');
    assert.equal(twin.properties.reported.via, 'provider');
    assert.throws(() => Client.fromAuthenticationProvider({}, officialMqtt.Mqtt), { name: 'ArgumentError' });
  });

  test('ModuleClient: a module twin round trip with merges and nulls', async () => {
    await registry.create({ deviceId: 'parityMod' });
    const { responseBody: module } = await registry.addModule({ deviceId: 'parityMod', moduleId: 'twin' });
    const cs = `${ConnectionString.createWithSharedAccessKey('localhost', 'parityMod', module.authentication.symmetricKey.primaryKey)};ModuleId=twin;GatewayHostName=${gateway()}`;
    assert.equal(ConnectionString.parse(cs, ['HostName', 'DeviceId']).ModuleId, 'twin');
    const client = ModuleClient.fromConnectionString(cs, officialMqtt.Mqtt);
    await client.setOptions({ ca: hub.ca });
    const twin = await client.getTwin();
    await twin.properties.reported.update({ fw: { version: '1.0', old: 1 } });
    await twin.properties.reported.update({ fw: { old: null } });
    assert.deepEqual(twin.properties.reported.fw, { version: '1.0' });
    const { responseBody: serviceTwin } = await registry.getModuleTwin('parityMod', 'twin');
    assert.deepEqual(serviceTwin.properties.reported.fw, { version: '1.0' });
    const changes = recorder(twin, 'properties.desired.rate');
    await serviceTwin.update({ properties: { desired: { rate: 5 } } });
    await changes.next((rate) => rate === 5, 'the module desired change');
    assert.throws(() => client.sendEvent({}), (err) => err.code === 'ERR_OUT_OF_SCOPE');
    await client.close();
  });
});
