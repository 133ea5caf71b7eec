'use strict';
// JobClient and Registry.addDevices / updateDevices / removeDevices against the emulator, with
// callbacks and promises (the emulator's job runner runs the jobs; tests poll, bounded).

const assert = require('node:assert/strict');
const { after, before, describe, test } = require('node:test');
const { PACKAGE, startHub, waitFor, viaCallback } = require('./helpers');
const { JobClient, Registry, errors } = require(PACKAGE);

let hub;
let registry;
let jobs;
before(async () => {
  hub = await startHub('node-jobs.log');
  registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca });
  jobs = JobClient.fromConnectionString(hub.serviceCs, { ca: hub.ca });
});
after(() => hub && hub.stop());

describe('bulk registry', () => {
  test('addDevices, updateDevices, removeDevices', async () => {
    const devices = ['bulkA', 'bulkB', 'bulkC'].map((deviceId) => ({ deviceId }));
    const { responseBody: added, httpResponse } = await registry.addDevices(devices);
    assert.equal(added.isSuccessful, true);
    assert.equal(httpResponse.statusCode, 200);
    await assert.rejects(registry.addDevices(devices.slice(0, 1)), (err) => {
      assert.ok(err instanceof errors.ArgumentError);
      assert.equal(JSON.parse(err.responseBody).errors[0].errorCode, 'DeviceAlreadyExists');
      return true;
    });
    const [updated] = await viaCallback((cb) => registry.updateDevices([{ deviceId: 'bulkA', status: 'disabled' }], true, cb));
    assert.equal(updated.isSuccessful, true);
    assert.equal((await registry.get('bulkA')).responseBody.status, 'disabled');
    await registry.removeDevices(devices, true);
    await assert.rejects(registry.get('bulkB'), errors.DeviceNotFoundError);
    await assert.rejects(registry.addDevices([]), errors.ArgumentError);
  });
});

describe('jobs', () => {
  test('scheduleTwinUpdate reaches every matching device; getJob and createQuery follow it', async () => {
    const ids = ['jobN1', 'jobN2'];
    await registry.addDevices(ids.map((deviceId) => ({ deviceId })));
    for (const id of ids) await registry.updateTwin(id, { tags: { plant: 'NodePlant' } }, '*');
    const patch = { properties: { desired: { firmware: { version: '2.0' } } } };
    const { jobStatus, response } = await jobs.scheduleTwinUpdate('nodeRollout', "tags.plant = 'NodePlant'", patch, new Date(0), 600);
    assert.equal(jobStatus.jobId, 'nodeRollout');
    assert.equal(response.statusCode, 200);
    const done = await waitFor('the job to complete', async () => {
      const { jobStatus: job } = await jobs.getJob('nodeRollout');
      return job.status === 'completed' && job;
    });
    assert.deepEqual(done.deviceJobStatistics, { deviceCount: 2, failedCount: 0, succeededCount: 2, runningCount: 0, pendingCount: 0 });
    const twin = (await registry.getTwin('jobN2')).responseBody;
    assert.deepEqual(twin.properties.desired.firmware, { version: '2.0' });

    const query = jobs.createQuery('scheduleUpdateTwin', 'completed', 1);
    const seen = [];
    while (query.hasMoreResults) {
      const { result } = await query.next();
      assert.ok(result.length <= 1);
      seen.push(...result.map((job) => job.jobId));
    }
    assert.ok(seen.includes('nodeRollout'), JSON.stringify(seen));
  });

  test('a future job is scheduled, cancelJob stops it, errors are typed (callbacks)', async () => {
    const future = new Date(Date.UTC(2999, 0, 1));
    const [scheduled] = await viaCallback((cb) => jobs.scheduleTwinUpdate('nodeLater', 'tags.x = 1', { tags: { y: 1 } }, future, 60, cb));
    assert.equal(scheduled.status, 'scheduled');
    const [cancelled, response] = await viaCallback((cb) => jobs.cancelJob('nodeLater', cb));
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(response.statusCode, 200);
    await assert.rejects(jobs.getJob('nodeNoSuchJob'), (err) => err.statusCode === 404 && err.errorCode === 'JobNotFound');
    await assert.rejects(jobs.scheduleTwinUpdate('nodeLater', 'tags.x = 1', { tags: {} }), (err) => err.errorCode === 'JobAlreadyExists');
    await assert.rejects(
      jobs.scheduleDeviceMethod('nodeMethod', 'tags.x = 1', { methodName: 'reboot' }),
      (err) => err.statusCode === 400 && /not supported by this emulator/.test(err.message),
    );
  });
});
