'use strict';
// Twin scenarios in the style of the official SDKs' e2e twin suites, run on iothub-twin: a fresh
// device from an official-style description (no authentication.type), reported and desired
// round trips with merges and nulls, etag '*' and a stale etag, desired changes made while the
// client is closed.

const assert = require('node:assert/strict');
const { after, before, beforeEach, afterEach, test } = require('node:test');
const { PACKAGE, startHub, recorder } = require('./helpers');
const { Client, Mqtt, Registry, ConnectionString, errors } = require(PACKAGE);

let hub;
let registry;
let deviceId;
let client;
let counter = 0;
before(async () => {
  hub = await startHub('node-e2e-twin.log');
  registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca });
});
after(() => hub && hub.stop());

beforeEach(async () => {
  deviceId = `e2eTwin${++counter}`;
  const key = Buffer.alloc(32, counter).toString('base64');
  await registry.create({ deviceId, status: 'enabled', authentication: { symmetricKey: { primaryKey: key, secondaryKey: key } } });
  const cs = `${ConnectionString.createWithSharedAccessKey('localhost', deviceId, key)};GatewayHostName=localhost:${hub.ready.mqtt_port}`;
  client = Client.fromConnectionString(cs, Mqtt);
  await client.setOptions({ ca: hub.ca });
  await client.open();
});
afterEach(async () => {
  await client.close();
  await registry.delete(deviceId);
});

test('reported properties merge, and null removes', async () => {
  const twin = await client.getTwin();
  await twin.properties.reported.update({ fw: { version: '1.0', channel: 'beta' }, temp: 20 });
  await twin.properties.reported.update({ fw: { channel: null }, temp: 21 });
  assert.deepEqual(twin.properties.reported.fw, { version: '1.0' });
  const { responseBody } = await registry.getTwin(deviceId);
  assert.deepEqual(responseBody.properties.reported.fw, { version: '1.0' });
  assert.equal(responseBody.properties.reported.temp, 21);
});

test('desired properties arrive as patches and merge, null removing', async () => {
  const twin = await client.getTwin();
  const patches = recorder(twin, 'properties.desired');
  const { responseBody: serviceTwin } = await registry.getTwin(deviceId);
  await serviceTwin.update({ properties: { desired: { a: { b: 1, c: 2 } } } });
  await registry.updateTwin(deviceId, { properties: { desired: { a: { c: null } } } }, '*');
  await patches.next((p) => p.a && p.a.c === null, 'the patch removing a.c');
  assert.deepEqual(twin.properties.desired.a, { b: 1 });
});

test("etag '*' and a stale etag", async () => {
  const { responseBody: first } = await registry.getTwin(deviceId);
  const { responseBody: second } = await registry.updateTwin(deviceId, { tags: { site: 'A' } }, first.etag);
  assert.notEqual(second.etag, first.etag);
  await assert.rejects(registry.updateTwin(deviceId, { tags: { site: 'B' } }, first.etag), errors.InvalidEtagError);
  await assert.rejects(first.update({ tags: { site: 'B' } }), errors.InvalidEtagError);
  const { responseBody: star } = await registry.updateTwin(deviceId, { tags: { site: 'C' } }, '*');
  assert.equal(star.tags.site, 'C');
});

test('desired changes while the client is closed are there after reopening', async () => {
  await client.close();
  await registry.updateTwin(deviceId, { properties: { desired: { offline: true } } }, '*');
  await client.open();
  const twin = await client.getTwin();
  assert.equal(twin.properties.desired.offline, true);
});
