'use strict';
// The back-end API (Registry, Twin, Query) against the emulator, with callbacks and promises.

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { PACKAGE, ENTRA_TOKEN, startHub, hubRequest, viaCallback } = require('./helpers');
const { Registry, Twin, Query, errors } = require(PACKAGE);

let hub;
let registry;
before(async () => {
  hub = await startHub('node-service.log');
  registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca });
});
after(() => hub && hub.stop());

describe('registry', () => {
  test('devices: create, get, delete with callbacks and promises', async () => {
    const [created, response] = await viaCallback((cb) => registry.create({ deviceId: 'regCb' }, cb));
    assert.equal(created.deviceId, 'regCb');
    assert.equal(response.statusCode, 200);
    assert.ok(created.authentication.symmetricKey.primaryKey, 'the hub generated keys');
    const [gotCb] = await viaCallback((cb) => registry.get('regCb', cb));
    assert.equal(gotCb.deviceId, 'regCb');
    const { responseBody: got, httpResponse } = await registry.get('regCb');
    assert.equal(got.deviceId, 'regCb');
    assert.equal(httpResponse.statusCode, 200);
    await registry.create({ deviceId: 'regPromise' });
    await viaCallback((cb) => registry.delete('regCb', cb));
    await registry.delete('regPromise');
    await assert.rejects(registry.get('regCb'), (err) => {
      assert.ok(err instanceof errors.DeviceNotFoundError);
      assert.equal(err.name, 'DeviceNotFoundError');
      assert.equal(err.code, 'ERR_NOT_FOUND');
      assert.equal(err.statusCode, 404);
      assert.equal(err.errorCode, 'DeviceNotFound');
      return true;
    });
    const [err] = await new Promise((resolve) => registry.get('regCb', (e, d) => resolve([e, d])));
    assert.equal(err.constructor.name, 'DeviceNotFoundError');
    await assert.rejects(registry.create({ deviceId: 'dup' }).then(() => registry.create({ deviceId: 'dup' })),
      { name: 'DeviceAlreadyExistsError', code: 'ERR_ALREADY_EXISTS' });
  });

  test('twins: getTwin, twin.update with its etag, twin.get, stale etag is InvalidEtagError', async () => {
    await registry.create({ deviceId: 'twinDevice' });
    const [twin] = await viaCallback((cb) => registry.getTwin('twinDevice', cb));
    assert.ok(twin instanceof Twin);
    assert.equal(twin.deviceId, 'twinDevice');
    const staleEtag = twin.etag;
    const [updated] = await viaCallback((cb) => twin.update({ tags: { location: { region: 'US', plant: 'Redmond43' } } }, cb));
    assert.equal(updated, twin, 'update resolves to the same twin, refreshed');
    assert.notEqual(twin.etag, staleEtag);
    assert.deepEqual(twin.tags.location, { region: 'US', plant: 'Redmond43' });
    const { result } = await twin.update({ properties: { desired: { power_level: 1 } } });
    assert.equal(result.properties.desired.power_level, 1);

    await assert.rejects(registry.updateTwin('twinDevice', { tags: { x: 1 } }, staleEtag), (err) => {
      assert.ok(err instanceof errors.InvalidEtagError);
      assert.equal(err.code, 'ERR_PRECONDITION_FAILED');
      assert.equal(err.statusCode, 412);
      return true;
    });
    const { responseBody: viaRegistry } = await registry.updateTwin('twinDevice', { tags: { x: 1 } }, twin.etag);
    assert.equal(viaRegistry.tags.x, 1);
    const [refreshed] = await viaCallback((cb) => twin.get(cb));
    assert.equal(refreshed.tags.x, 1);
    assert.equal(twin.etag, viaRegistry.etag);
    assert.equal(JSON.parse(JSON.stringify(twin)).deviceId, 'twinDevice');
  });

  test('replaceTwin replaces tags and desired; updateTwin with callbacks', async () => {
    await registry.create({ deviceId: 'replaceDevice' });
    await viaCallback((cb) => registry.updateTwin('replaceDevice', { tags: { a: 1, b: 2 } }, '*', cb));
    const { responseBody } = await registry.replaceTwin('replaceDevice', { tags: { c: 3 }, properties: { desired: { d: 4 } } }, '*');
    assert.deepEqual(responseBody.tags, { c: 3 });
    assert.equal(responseBody.properties.desired.d, 4);
    const [viaCb] = await viaCallback((cb) => registry.replaceTwin('replaceDevice', { tags: {} }, cb));
    assert.deepEqual(viaCb.tags, {});
  });

  test('module twins: get, update, replace', async () => {
    await registry.create({ deviceId: 'modDevice' });
    await registry.addModule({ deviceId: 'modDevice', moduleId: 'm1' });
    const { responseBody: twin } = await registry.getModuleTwin('modDevice', 'm1');
    assert.equal(twin.moduleId, 'm1');
    const [viaCb] = await viaCallback((cb) => registry.getModuleTwin('modDevice', 'm1', cb));
    assert.equal(viaCb.etag, twin.etag);
    const [module] = await viaCallback((cb) => registry.addModule({ deviceId: 'modDevice', moduleId: 'm2' }, cb));
    assert.equal(module.moduleId, 'm2');
    const { result: refreshed } = await twin.get();
    assert.equal(refreshed.moduleId, 'm1');
    const [updated] = await viaCallback((cb) => registry.updateModuleTwin('modDevice', 'm1', { tags: { role: 'edge' } }, twin.etag, cb));
    assert.equal(updated.tags.role, 'edge');
    await updated.update({ properties: { desired: { speed: 2 } } });
    assert.equal(updated.properties.desired.speed, 2);
    const { responseBody: replaced } = await registry.replaceModuleTwin('modDevice', 'm1', { tags: { only: true } }, updated.etag);
    assert.deepEqual(replaced.tags, { only: true });
    await assert.rejects(registry.getModuleTwin('modDevice', 'nope'), { code: 'ERR_NOT_FOUND' });
  });

  test('queries page with hasMoreResults, nextAsTwin and next', async () => {
    for (let i = 0; i < 5; i++) {
      await registry.create({ deviceId: `q${i}` });
      await registry.updateTwin(`q${i}`, { tags: { batch: 'paging', n: i } }, '*');
    }
    const query = registry.createQuery("SELECT * FROM devices WHERE tags.batch = 'paging'", 2);
    assert.ok(query instanceof Query);
    assert.equal(query.hasMoreResults, true);
    const ids = [];
    const [first] = await viaCallback((cb) => query.nextAsTwin(cb));
    assert.equal(first.length, 2);
    assert.ok(first[0] instanceof Twin);
    ids.push(...first.map((t) => t.deviceId));
    while (query.hasMoreResults) {
      const { result } = await query.nextAsTwin();
      ids.push(...result.map((t) => t.deviceId));
    }
    assert.deepEqual(ids.sort(), ['q0', 'q1', 'q2', 'q3', 'q4']);
    // Twins from a query can be updated like any other.
    await first[0].update({ tags: { touched: true } });

    const raw = registry.createQuery("SELECT deviceId FROM devices WHERE tags.batch = 'paging'", 100);
    const [items] = await viaCallback((cb) => raw.next(cb));
    assert.equal(items.length, 5);
    assert.ok(!(items[0] instanceof Twin));
    assert.equal(raw.hasMoreResults, false);
    const counted = await registry.createQuery("SELECT COUNT() AS n FROM devices WHERE tags.batch = 'paging'").next();
    assert.deepEqual(counted.result, [{ n: 5 }]);
    await assert.rejects(registry.createQuery('SELECT * FROM nowhere').next(), { name: 'ArgumentError', code: 'ERR_BAD_REQUEST' });
  });

  test('fromTokenCredential asks the credential for every request', async () => {
    const scopes = [];
    const credential = { getToken: async (scope) => { scopes.push(scope); return { token: ENTRA_TOKEN, expiresOnTimestamp: Date.now() + 3600_000 }; } };
    const viaEntra = Registry.fromTokenCredential(hub.hostName, credential, { ca: hub.ca });
    await viaEntra.create({ deviceId: 'entraDevice' });
    const [twin] = await viaCallback((cb) => viaEntra.getTwin('entraDevice', cb));
    await twin.update({ tags: { by: 'entra' } });
    assert.equal(scopes.length, 3);
    assert.ok(scopes.every((s) => s === 'https://iothubs.azure.net/.default'));

    const wrong = Registry.fromTokenCredential(hub.hostName, { getToken: async () => ({ token: 'not-the-token' }) }, { ca: hub.ca });
    await assert.rejects(wrong.getTwin('entraDevice'), { name: 'UnauthorizedError', code: 'ERR_CREDENTIAL' });
    const failing = Registry.fromTokenCredential(hub.hostName, { getToken: async () => { throw new Error('no login'); } }, { ca: hub.ca });
    await assert.rejects(failing.getTwin('entraDevice'), (err) => err.code === 'ERR_CREDENTIAL' && /no login/.test(err.message));
    assert.throws(() => Registry.fromTokenCredential(hub.hostName, {}), { name: 'ArgumentError' });
  });

  test('errors: throttling, bad connection strings, unknown CA', async () => {
    const quick = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca });
    // More 429s than the client's five retries (each waits the hub's Retry-After: 1 s).
    await hubRequest(hub, 'PUT', '/emulator/faults', { throttleServiceRequests: 6 });
    await assert.rejects(quick.getTwin('twinDevice'), (err) => {
      assert.ok(err instanceof errors.ThrottlingError);
      assert.equal(err.code, 'ERR_THROTTLED');
      return true;
    });
    await hubRequest(hub, 'PUT', '/emulator/faults', {});
    assert.throws(() => Registry.fromConnectionString('HostName=x'), { name: 'ArgumentError', code: 'ERR_INVALID_CONNECTION_STRING' });
    const badKey = hub.serviceCs.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.from('nope').toString('base64')}`);
    await assert.rejects(Registry.fromConnectionString(badKey, { ca: hub.ca }).getTwin('twinDevice'), { name: 'UnauthorizedError', code: 'ERR_CREDENTIAL' });
    // The system roots do not trust the emulator's CA (NODE_EXTRA_CA_CERTS is read at startup only).
    const untrusting = Registry.fromConnectionString(hub.serviceCs, { ca: require('node:tls').rootCertificates, timeoutSecs: 1 });
    await assert.rejects(untrusting.getTwin('twinDevice'), (err) => ['ERR_CONNECTION', 'ERR_TIMEOUT'].includes(err.code));
  });
});
