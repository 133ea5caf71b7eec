'use strict';
// The official Node service SDK (azure-iothub 1.16.6) against the emulator: the back-end part of
// the device-twin guides. Run as a child process by service_flow.test.js, because Node reads
// NODE_EXTRA_CA_CERTS (the emulator's CA) only at process start (spec/official-sdk-wire.md §2.4).
//
//   IOTHUB_CONNECTION_STRING=... NODE_EXTRA_CA_CERTS=/abs/ca.pem node service_flow.js <scenario> <deviceId>
//
// Scenarios: "flow" (create, get twin, update with etag, stale etag 412, replace, delete, 404),
// "duplicate" (a second create of the same id gives 409), and "jobs" (jobs_flow.js: bulk create,
// a scheduled twin-update job, the job query, bulk remove). Prints "ok - <step>" per step and
// "SCENARIO OK <scenario>" at the end; exits 1 with details on the first failure.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Registry } = require('azure-iothub');
const { versionQueryString } = require('azure-iothub/dist/version');

const LOCATION = { region: 'US', plant: 'Redmond43' };

function newKey() {
  return crypto.randomBytes(32).toString('base64');
}

function userProps(desired) {
  return Object.fromEntries(Object.entries(desired || {}).filter(([k]) => !k.startsWith('$')));
}

function step(name) {
  console.log(`ok - ${name}`);
}

function statusOf(err) {
  return err && err.response ? err.response.statusCode : undefined;
}

async function expectError(promise, { name, status }) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected a rejection with ${name} / HTTP ${status}, but the call succeeded`);
  const detail = `got ${err.name} (HTTP ${statusOf(err)}): ${err.message}; body: ${JSON.stringify(err.responseBody)}`;
  assert.equal(statusOf(err), status, detail);
  assert.equal(err.name, name, detail);
  return err;
}

function deviceDescription(deviceId) {
  return {
    deviceId,
    status: 'enabled',
    authentication: { symmetricKey: { primaryKey: newKey(), secondaryKey: newKey() } },
  };
}

// Node's Registry has no replace-twin API (official-sdk-wire.md §4.2), so replace goes through the
// SDK's own REST client (same auth, user agent and keep-alive agent as every Registry call):
// PUT /twins/{id} with If-Match, exactly what Python's replace_twin sends.
function replaceTwin(registry, deviceId, twin, etag) {
  const path = '/twins/' + encodeURIComponent(deviceId) + versionQueryString();
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'If-Match': registry._ensureQuoted(etag),
  };
  return new Promise((resolve, reject) => {
    registry._restApiClient.executeApiCall('PUT', path, headers, twin, (err, body, response) => {
      if (err) reject(err);
      else resolve({ responseBody: body, httpResponse: response });
    });
  });
}

async function flow(registry, deviceId) {
  // 1. create the device
  const desc = deviceDescription(deviceId);
  const { responseBody: device } = await registry.create(desc);
  assert.equal(device.deviceId, deviceId);
  assert.equal(device.status, 'enabled');
  assert.ok(device.etag, 'device etag');
  assert.equal(device.authentication.symmetricKey.primaryKey, desc.authentication.symmetricKey.primaryKey);
  assert.equal((await registry.get(deviceId)).responseBody.deviceId, deviceId);
  step('create device');

  // 2. get its twin
  const { responseBody: twin } = await registry.getTwin(deviceId);
  assert.equal(twin.deviceId, deviceId);
  assert.ok(twin.etag && twin.etag !== '*', `twin etag must be in the body, got ${JSON.stringify(twin.etag)}`);
  assert.deepEqual(twin.tags, {});
  assert.deepEqual(userProps(twin.properties.desired), {});
  assert.equal(twin.properties.desired.$version, 1);
  const firstEtag = twin.etag;
  step('get twin');

  // 3. update tags and desired with the twin's etag, as the Node guide does (twin.update)
  const patch = { tags: { location: LOCATION }, properties: { desired: { power_level: 1 } } };
  await twin.update(patch);
  assert.ok(twin.etag && twin.etag !== firstEtag, 'twin etag must change after an update');
  assert.deepEqual(twin.tags, { location: LOCATION });
  assert.deepEqual(userProps(twin.properties.desired), { power_level: 1 });
  assert.equal(twin.properties.desired.$version, 2);
  const updatedEtag = twin.etag;

  const { responseBody: again } = await registry.getTwin(deviceId);
  assert.equal(again.etag, updatedEtag);
  assert.deepEqual(again.tags, { location: LOCATION });
  assert.deepEqual(userProps(again.properties.desired), { power_level: 1 });
  assert.equal(again.properties.desired.$version, 2);
  step('update twin with etag');

  // 4. the same kind of update with the stale etag: 412 InvalidEtagError, nothing changes
  const stale = { tags: { location: { region: 'EU' } }, properties: { desired: { power_level: 9 } } };
  await expectError(registry.updateTwin(deviceId, stale, firstEtag), { name: 'InvalidEtagError', status: 412 });
  const { responseBody: unchanged } = await registry.getTwin(deviceId);
  assert.equal(unchanged.etag, updatedEtag);
  assert.deepEqual(unchanged.tags, { location: LOCATION });
  assert.deepEqual(userProps(unchanged.properties.desired), { power_level: 1 });
  step('stale etag gives 412');

  // 5. replace the twin: exactly the new tags/desired remain
  const newTags = { replaced: true, site: { building: 'B2' } };
  const newDesired = { telemetry_interval: 30 };
  const { responseBody: replaced, httpResponse } = await replaceTwin(
    registry, deviceId, { tags: newTags, properties: { desired: newDesired } }, '*');
  assert.equal(httpResponse.statusCode, 200);
  assert.ok(replaced.etag && replaced.etag !== updatedEtag, 'twin etag must change after a replace');
  assert.deepEqual(replaced.tags, newTags);
  assert.deepEqual(userProps(replaced.properties.desired), newDesired);
  assert.equal(replaced.properties.desired.$version, 3);
  const { responseBody: afterReplace } = await registry.getTwin(deviceId);
  assert.equal(afterReplace.etag, replaced.etag);
  assert.deepEqual(afterReplace.tags, newTags);
  assert.deepEqual(userProps(afterReplace.properties.desired), newDesired);
  step('replace twin');

  // 6. delete the device; then it and its twin are gone (404 DeviceNotFound)
  const { httpResponse: delResponse } = await registry.delete(deviceId);
  assert.equal(delResponse.statusCode, 204);
  await expectError(registry.get(deviceId), { name: 'DeviceNotFoundError', status: 404 });
  await expectError(registry.getTwin(deviceId), { name: 'DeviceNotFoundError', status: 404 });
  step('delete device');
}

async function duplicate(registry, deviceId) {
  await registry.create(deviceDescription(deviceId));
  try {
    await expectError(registry.create(deviceDescription(deviceId)), { name: 'DeviceAlreadyExistsError', status: 409 });
    step('duplicate create gives 409');
  } finally {
    await registry.delete(deviceId);
  }
  await expectError(registry.get(deviceId), { name: 'DeviceNotFoundError', status: 404 });
  step('delete device');
}

async function main() {
  const [scenario, deviceId] = process.argv.slice(2);
  const cs = process.env.IOTHUB_CONNECTION_STRING;
  if (!cs || !deviceId || !['flow', 'duplicate', 'jobs'].includes(scenario)) {
    throw new Error('usage: IOTHUB_CONNECTION_STRING=... node service_flow.js flow|duplicate|jobs <deviceId>');
  }
  const registry = Registry.fromConnectionString(cs);
  if (scenario === 'flow') await flow(registry, deviceId);
  else if (scenario === 'jobs') await require('./jobs_flow').jobs(registry, cs, deviceId, step);
  else await duplicate(registry, deviceId);
  console.log(`SCENARIO OK ${scenario}`);
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
