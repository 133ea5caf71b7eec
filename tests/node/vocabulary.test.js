'use strict';
// The core owns the vocabulary: the shared invalid-input vectors give the core's kinds here as
// in Rust and Python; desired changes made right after connecting are not lost; the reported
// `$version` is the hub's; a retry policy that ran out is not an UnauthorizedError.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, test } = require('node:test');
const { PACKAGE, startHub, hubRequest, waitFor, recorder } = require('./helpers');
const { Client, Mqtt, Registry, errors } = require(PACKAGE);
const native = require(path.join(PACKAGE, 'index.js'));

const VECTORS = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'error_kinds.json'), 'utf8'));
const DEVICE_OPTION = { keep_alive: 'keepalive', operation_timeout: 'operationTimeoutSecs', sas_token_ttl: 'sasTokenTtlSecs' };
const SERVICE_OPTION = { timeout: 'timeoutSecs' };

function nodeOptions(names, options = {}) {
  return Object.fromEntries(Object.entries(options).map(([name, value]) => {
    assert.ok(names[name], `no Node option for ${name}`);
    return [names[name], value];
  }));
}

function matches(vector) {
  return (err) => {
    assert.ok(err instanceof errors[vector.node_class], `${vector.name}: ${err.name} ${err.message}`);
    assert.equal(err.code, vector.code, vector.name);
    assert.equal(err.name, vector.node_class, vector.name);
    return true;
  };
}

describe('shared invalid-input vectors (tests/fixtures/error_kinds.json)', () => {
  for (const vector of VECTORS.device) {
    test(`device: ${vector.name}`, async () => {
      const client = vector.sas_token !== undefined
        ? Client.fromSharedAccessSignature(vector.sas_token, Mqtt)
        : Client.fromConnectionString(vector.connection_string, Mqtt);
      await client.setOptions(nodeOptions(DEVICE_OPTION, vector.options));
      await assert.rejects(client.open(), matches(vector));
    });
  }
  for (const vector of VECTORS.service) {
    test(`service: ${vector.name}`, () => {
      assert.throws(
        () => Registry.fromConnectionString(vector.connection_string, nodeOptions(SERVICE_OPTION, vector.options)),
        matches(vector),
      );
    });
  }
});

let hub;
let registry;
before(async () => {
  hub = await startHub('node-vocabulary.log', 'earlyDevice', 'nativeEarlyDevice', 'versionDevice', 'retryDevice');
  registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca });
});
after(() => hub && hub.stop());

async function setDesired(id, desired) {
  const { responseBody } = await registry.updateTwin(id, { properties: { desired } }, '*');
  return responseBody.properties.desired.$version;
}

describe('desired changes, reported versions and failures', () => {
  test('the core holds changes made before the first watch for it', async () => {
    const client = await native.connectDevice(hub.deviceCs('nativeEarlyDevice'), { ca: hub.ca });
    const version = await setDesired('nativeEarlyDevice', { early: 1 });
    // Only now does anyone watch: the change, made in between, still arrives.
    const changes = [];
    client.watch((change) => changes.push(change), () => {});
    await waitFor('the early change', () => changes.some((c) => c.patch.$version === version));
    const change = changes.find((c) => c.patch.$version === version);
    assert.deepEqual(change.patch, { early: 1, $version: version });
    assert.equal(change.desired.early, 1);
    assert.equal(change.desired.$version, version);
    await client.close();
  });

  test('a desired patch made right after open resolves reaches a listener added after getTwin', async () => {
    const client = Client.fromConnectionString(hub.deviceCs('earlyDevice'), Mqtt);
    await client.setOptions({ ca: hub.ca });
    await client.open();
    const version = await setDesired('earlyDevice', { fan: { speed: 3 } });
    const twin = await client.getTwin();
    const speeds = recorder(twin, 'properties.desired.fan.speed');
    await speeds.next((speed) => speed === 3);
    await waitFor('the desired document', () => twin.properties.desired.$version === version);
    const v2 = await setDesired('earlyDevice', { fan: { speed: 4 } });
    await speeds.next((speed) => speed === 4);
    assert.equal(twin.properties.desired.$version, v2);
    assert.deepEqual(twin.properties.desired.fan, { speed: 4 });
    await client.close();
  });

  test("properties.reported.$version is the hub's after update", async () => {
    const client = Client.fromConnectionString(hub.deviceCs('versionDevice'), Mqtt);
    await client.setOptions({ ca: hub.ca });
    const twin = await client.getTwin();
    for (const patch of [{ a: 1 }, { b: { c: 2 } }, { a: null }]) {
      await twin.properties.reported.update(patch);
      const { responseBody } = await registry.getTwin('versionDevice');
      assert.equal(twin.properties.reported.$version, responseBody.properties.reported.$version);
    }
    assert.deepEqual({ ...twin.properties.reported, $version: 0 }, { b: { c: 2 }, $version: 0 });
    await client.close();
  });

  test('an exhausted retry policy is NotConnectedError / ERR_CONNECTION, not UnauthorizedError', async () => {
    const client = Client.fromConnectionString(hub.deviceCs('retryDevice'), Mqtt);
    await client.setOptions({ ca: hub.ca, connectionRetry: false });
    await client.open();
    let err;
    client.on('error', (e) => { err = e; });
    const dropped = await hubRequest(hub, 'DELETE', '/emulator/connections/retryDevice');
    assert.ok(dropped.status < 300, `drop: ${dropped.status}`);
    await waitFor('the error event', () => err);
    assert.ok(err instanceof errors.NotConnectedError, `${err.name}: ${err.message}`);
    assert.ok(!(err instanceof errors.UnauthorizedError));
    assert.equal(err.code, 'ERR_CONNECTION');
    await assert.rejects(client.getTwin(), (e) => e.code === 'ERR_CONNECTION' && e.name === 'NotConnectedError');
    await client.close();
  });
});
