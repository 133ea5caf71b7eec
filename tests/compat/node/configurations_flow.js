'use strict';
// The official Node service SDK (azure-iothub) manages automatic device configurations against
// the emulator: two overlapping configurations, applied by the emulator's periodic run, read
// back with their metrics; update rules, removal and the registry statistics. Run as a child
// process by configurations_flow.test.js (Node reads NODE_EXTRA_CA_CERTS only at start).
//
//   IOTHUB_CONNECTION_STRING=... NODE_EXTRA_CA_CERTS=/abs/ca.pem node configurations_flow.js <suffix>
//
// Prints "ok - <step>" per step and "SCENARIO OK configurations" at the end.

const assert = require('node:assert/strict');
const { Registry } = require('azure-iothub');

function step(name) {
  console.log(`ok - ${name}`);
}

async function waitFor(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function statusOf(promise) {
  try {
    await promise;
  } catch (err) {
    return err.response ? err.response.statusCode : err.name;
  }
  return 'no error';
}

async function main() {
  const suffix = process.argv[2];
  const registry = Registry.fromConnectionString(process.env.IOTHUB_CONNECTION_STRING);
  const plant = `plant${suffix}`;
  const ids = { prod: `cfg-prod-${suffix}`, test: `cfg-test-${suffix}` };
  const before = (await registry.getRegistryStatistics()).responseBody;
  for (const [ring, deviceId] of Object.entries(ids)) {
    await registry.create({ deviceId });
    await registry.updateTwin(deviceId, { tags: { plant, ring } }, '*');
  }
  const stats = (await registry.getRegistryStatistics()).responseBody;
  assert.equal(stats.totalDeviceCount, before.totalDeviceCount + 2);
  assert.equal(stats.enabledDeviceCount, before.enabledDeviceCount + 2);
  step('registry statistics');

  const wide = {
    id: `${plant}-wide`,
    targetCondition: `tags.plant = '${plant}'`,
    content: { deviceContent: { 'properties.desired.telemetry': { interval: 60 } } },
    priority: 1,
    metrics: { queries: { atSixty: 'SELECT deviceId FROM devices WHERE properties.reported.telemetry.interval = 60' } },
  };
  const created = (await registry.addConfiguration(wide)).responseBody;
  assert.equal(created.schemaVersion, '1.0');
  const ring = {
    id: `${plant}-test`,
    targetCondition: `tags.plant = '${plant}' AND tags.ring = 'test'`,
    content: { deviceContent: { 'properties.desired.telemetry.interval': 5 } },
    priority: 10,
  };
  await new Promise((resolve, reject) => registry.addConfiguration(ring, (err) => (err ? reject(err) : resolve())));
  assert.equal(await statusOf(registry.addConfiguration(wide)), 409);
  step('add configurations');

  const testTwin = await waitFor('the test ring applied', async () => {
    const twin = (await registry.getTwin(ids.test)).responseBody;
    const statuses = twin.configurations || {};
    return Object.keys(statuses).length === 2 && twin;
  });
  assert.equal(testTwin.properties.desired.telemetry.interval, 5);
  assert.equal(testTwin.configurations[ring.id].status, 'Applied');
  const prodTwin = (await registry.getTwin(ids.prod)).responseBody;
  assert.equal(prodTwin.properties.desired.telemetry.interval, 60);
  step('applied by priority');

  const read = (await registry.getConfiguration(wide.id)).responseBody;
  assert.deepEqual(read.systemMetrics.results, { targetedCount: 2, appliedCount: 2 });
  assert.deepEqual(read.metrics.results, { atSixty: 0 });
  const all = (await registry.getConfigurations()).responseBody;
  assert.ok(all.some((c) => c.id === ring.id));
  step('metrics');

  assert.equal(await statusOf(registry.updateConfiguration({ ...read, priority: 2, etag: 'Mg==' })), 412);
  const updated = (await registry.updateConfiguration({ ...read, priority: 20 })).responseBody;
  assert.equal(updated.priority, 20);
  assert.equal(await statusOf(registry.updateConfiguration({ ...updated, targetCondition: 'tags.x = 1' }, true)), 400);
  step('update rules');

  await registry.removeConfiguration(wide.id);
  await registry.removeConfiguration(ring.id);
  assert.equal(await statusOf(registry.getConfiguration(wide.id)), 404);
  step('remove configurations');
  console.log('SCENARIO OK configurations');
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  if (err && err.responseBody) console.error('response body:', err.responseBody);
  process.exit(1);
});
