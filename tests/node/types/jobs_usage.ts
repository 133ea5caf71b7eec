// Type-checked (never run): JobClient and the Registry's bulk calls, callbacks and promises.
import { JobClient, Registry, type BulkRegistryOperationResult, type JobStatus } from 'iothub-twin';

async function jobs(cs: string, ca: string): Promise<void> {
  const client: JobClient = JobClient.fromConnectionString(cs, { ca });
  const patch = { properties: { desired: { firmware: { version: '2.0' } } } };
  const { jobStatus } = await client.scheduleTwinUpdate('job1', "tags.plant = 'Redmond43'", patch, new Date(), 600);
  const status: string | undefined = jobStatus.status;
  client.scheduleTwinUpdate('job2', 'tags.a = 1', patch, (err, job) => console.log(err, job?.jobId, status));
  const got: JobStatus = (await client.getJob('job1')).jobStatus;
  console.log(got.deviceJobStatistics?.succeededCount);
  client.cancelJob('job2', (err, job, response) => console.log(err, job?.status, response?.statusCode));
  const query = client.createQuery('scheduleUpdateTwin', 'completed', 10);
  while (query.hasMoreResults) {
    const { result } = await query.next();
    result.forEach((job) => console.log(job.jobId));
  }
  const registry = Registry.fromConnectionString(cs, { ca });
  const added: BulkRegistryOperationResult = (await registry.addDevices([{ deviceId: 'a' }])).responseBody;
  console.log(added.isSuccessful);
  registry.updateDevices([{ deviceId: 'a', status: 'disabled' }], true, (err, result) => console.log(err, result?.errors));
  await registry.removeDevices([{ deviceId: 'a' }], true);
}

export { jobs };
