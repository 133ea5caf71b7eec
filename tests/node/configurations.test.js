'use strict';
// Registry's configuration and statistics calls against the emulator, callbacks and promises:
// overlapping configurations applied by priority, metrics, update rules, etags, deletion.

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { PACKAGE, startHub, hubRequest, viaCallback } = require('./helpers');
const { Registry, errors } = require(PACKAGE);

let hub;
let registry;
before(async () => {
  hub = await startHub('node-configurations.log');
  registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca });
});
after(() => hub && hub.stop());

async function taggedDevice(deviceId, tags) {
  await registry.create({ deviceId });
  await registry.updateTwin(deviceId, { tags }, '*');
}

test('overlapping configurations: the higher priority wins, metrics count the twins', async () => {
  await taggedDevice('cfgProd', { plant: 'west', ring: 'prod' });
  await taggedDevice('cfgTest', { plant: 'west', ring: 'test' });
  const [wide, response] = await viaCallback((cb) => registry.addConfiguration({
    id: 'west-wide',
    targetCondition: "tags.plant = 'west'",
    content: { deviceContent: { 'properties.desired.telemetry': { interval: 60 } } },
    priority: 1,
  }, cb));
  assert.equal(response.statusCode, 200);
  assert.equal(wide.schemaVersion, '1.0');
  assert.equal(wide.etag, 'MQ==');
  const { responseBody: ring } = await registry.addConfiguration({
    id: 'west-test',
    targetCondition: "tags.plant = 'west' AND tags.ring = 'test'",
    content: { deviceContent: { 'properties.desired.telemetry.interval': 5 } },
    priority: 10,
  });
  assert.equal(ring.priority, 10);
  await assert.rejects(registry.addConfiguration({ id: 'west-wide', content: wide.content }),
    (err) => err.errorCode === 'ConfigurationAlreadyExists' && err.code === 'ERR_ALREADY_EXISTS');

  assert.equal((await hubRequest(hub, 'POST', '/emulator/configurations/apply')).status, 200);
  const { responseBody: prod } = await registry.getTwin('cfgProd');
  const { responseBody: testTwin } = await registry.getTwin('cfgTest');
  assert.equal(prod.properties.desired.telemetry.interval, 60);
  assert.equal(testTwin.properties.desired.telemetry.interval, 5);
  assert.deepEqual(testTwin.configurations, { 'west-wide': { status: 'Applied' }, 'west-test': { status: 'Applied' } });

  const [read] = await viaCallback((cb) => registry.getConfiguration('west-wide', cb));
  assert.deepEqual(read.systemMetrics.results, { targetedCount: 2, appliedCount: 2 });
  const { responseBody: all } = await registry.getConfigurations();
  assert.deepEqual(all.map((c) => c.id).sort(), ['west-test', 'west-wide']);

  // Priority changes under the etag; a stale etag is refused; the target condition cannot change.
  assert.throws(() => registry.updateConfiguration({ id: 'west-wide' }, () => {}), errors.ArgumentError);
  await assert.rejects(registry.updateConfiguration({ ...read, priority: 2, etag: 'Mg==' }),
    (err) => err instanceof errors.InvalidEtagError && err.statusCode === 412);
  const { responseBody: raised } = await registry.updateConfiguration({ ...read, priority: 20 });
  assert.equal(raised.priority, 20);
  const [forced] = await viaCallback((cb) => registry.updateConfiguration({ ...raised, etag: undefined, priority: 21 }, true, cb));
  assert.equal(forced.priority, 21);
  await assert.rejects(registry.updateConfiguration({ ...forced, targetCondition: "tags.plant = 'east'" }),
    (err) => err.errorCode === 'ArgumentInvalid' && err.code === 'ERR_BAD_REQUEST');

  const { httpResponse } = await registry.removeConfiguration('west-wide');
  assert.equal(httpResponse.statusCode, 204);
  await viaCallback((cb) => registry.removeConfiguration('west-test', cb));
  await assert.rejects(registry.getConfiguration('west-wide'), (err) => err.errorCode === 'ConfigurationNotFound');
  await assert.rejects(registry.getConfiguration(''), ReferenceError);
});

test('invalid target conditions are refused; registry statistics count exactly', async () => {
  await assert.rejects(registry.addConfiguration({
    id: 'broken',
    targetCondition: 'tags.plant = ',
    content: { deviceContent: { 'properties.desired.x': 1 } },
  }), (err) => err.errorCode === 'ArgumentInvalid');
  const { responseBody: before } = await registry.getRegistryStatistics();
  await registry.create({ deviceId: 'statDisabled', status: 'disabled' });
  const [afterwards] = await viaCallback((cb) => registry.getRegistryStatistics(cb));
  assert.equal(afterwards.totalDeviceCount, before.totalDeviceCount + 1);
  assert.equal(afterwards.disabledDeviceCount, before.disabledDeviceCount + 1);
  assert.equal(afterwards.enabledDeviceCount, before.enabledDeviceCount);
});
