'use strict';
// The "jobs" scenario of service_flow.js: the official Node service SDK (azure-iothub 1.16.6)
// bulk-creates devices with Registry.addDevices, tags them, schedules a twin update with
// JobClient.scheduleTwinUpdate, follows it with getJob (bounded) and createQuery, and reads back
// the twins it patched.

const assert = require('node:assert/strict');
const { JobClient } = require('azure-iothub');

async function jobs(registry, cs, prefix, step) {
  const ids = [1, 2, 3].map((i) => `${prefix}-${i}`);
  const plant = `${prefix}-plant`;
  const added = await registry.addDevices(ids.map((deviceId) => ({ deviceId, status: 'enabled' })));
  assert.equal(added.responseBody.isSuccessful, true, JSON.stringify(added.responseBody));
  for (const id of ids) {
    assert.equal((await registry.get(id)).responseBody.deviceId, id);
    await registry.updateTwin(id, { tags: { plant } }, '*');
  }
  step('bulk create');

  const jobClient = JobClient.fromConnectionString(cs);
  const jobId = `${prefix}-rollout`;
  const patch = { properties: { desired: { firmware: { version: '2.0' } } } };
  const scheduled = await jobClient.scheduleTwinUpdate(jobId, `tags.plant = '${plant}'`, patch, new Date(), 600);
  assert.equal(scheduled.jobStatus.jobId, jobId);
  const deadline = Date.now() + 30_000;
  let job;
  for (;;) {
    job = (await jobClient.getJob(jobId)).jobStatus;
    if (job.status === 'completed') break;
    assert.ok(['queued', 'scheduled', 'running'].includes(job.status), JSON.stringify(job));
    assert.ok(Date.now() < deadline, `the job did not complete: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(job.deviceJobStatistics.succeededCount, 3);
  assert.equal(job.deviceJobStatistics.failedCount, 0);
  for (const id of ids) {
    const twin = (await registry.getTwin(id)).responseBody;
    assert.deepEqual(twin.properties.desired.firmware, { version: '2.0' });
  }
  step('twin update job');

  const query = jobClient.createQuery('scheduleUpdateTwin', 'completed');
  const seen = [];
  while (query.hasMoreResults) {
    const { result } = await query.next();
    seen.push(...result.map((j) => j.jobId));
  }
  assert.ok(seen.includes(jobId), JSON.stringify(seen));
  step('job query');

  await registry.removeDevices(ids.map((deviceId) => ({ deviceId })), true);
  await assert.rejects(registry.get(ids[0]), (err) => err.name === 'DeviceNotFoundError');
  step('bulk remove');
}

module.exports = { jobs };
