'use strict';
// A fleet firmware rollout with a scheduled twin-update job, written against azure-iothub /
// azure-iot-device's API (require('iothub-twin') in place of the official packages): the back
// end tags the fleet as plant Redmond43 in one bulk call, schedules a job setting desired
// firmware.version on every device there, follows the job and a GROUP BY over
// properties.reported.firmware.status until every device reports "done". The devices report
// "applying", then "done", as they receive the patch.
//
//   IOTHUB_CONNECTION_STRING=... [FIRMWARE_VERSION=2.2] node samples/node/FirmwareRollout.js DEVICE_CS [DEVICE_CS ...]

const { Client, Mqtt, JobClient, Registry } = require('iothub-twin');

const FIRMWARE = process.env.FIRMWARE_VERSION || '2.0';
// Devices that report this version, by status: "applying" first, then "done".
const STATUS_QUERY = 'SELECT properties.reported.firmware.status AS status, COUNT() AS devices FROM devices ' +
  `WHERE tags.plant = 'Redmond43' AND properties.reported.firmware.version = '${FIRMWARE}' ` +
  'GROUP BY properties.reported.firmware.status';

async function startDevice(connectionString) {
  const client = Client.fromConnectionString(connectionString, Mqtt);
  await client.open();
  const twin = await client.getTwin();
  twin.on('properties.desired', (delta) => {
    const version = delta.firmware && delta.firmware.version;
    if (!version) return;
    twin.properties.reported.update({ firmware: { version, status: 'applying' } }, () => {
      twin.properties.reported.update({ firmware: { version, status: 'done' } }, () => undefined);
    });
  });
  return client;
}

async function waitFor(what, check, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main() {
  const serviceCs = process.env.IOTHUB_CONNECTION_STRING;
  const deviceCss = process.argv.slice(2);
  const devices = await Promise.all(deviceCss.map(startDevice));
  const ids = deviceCss.map((cs) => /(?:^|;)DeviceId=([^;]+)/.exec(cs)[1]);
  const registry = Registry.fromConnectionString(serviceCs);
  const jobClient = JobClient.fromConnectionString(serviceCs);

  // azure-iothub's bulk calls take identities, not twins: each twin is tagged with updateTwin.
  for (const id of ids) await registry.updateTwin(id, { tags: { plant: 'Redmond43' } }, '*');
  console.log(`tagged ${ids.length} devices as plant Redmond43`);

  const jobId = `firmware-${FIRMWARE}-${Date.now()}`;
  const patch = { properties: { desired: { firmware: { version: FIRMWARE } } } };
  const { jobStatus } = await jobClient.scheduleTwinUpdate(jobId, "tags.plant = 'Redmond43'", patch, new Date(), 600);
  console.log(`job ${jobId}: ${jobStatus.status}`);

  await waitFor('the job', async () => {
    const { jobStatus: job } = await jobClient.getJob(jobId);
    const stats = job.deviceJobStatistics;
    console.log(`job ${jobId}: ${job.status}, ${stats.succeededCount}/${stats.deviceCount} devices patched`);
    return ['completed', 'failed', 'cancelled'].includes(job.status);
  });
  await waitFor('every device to report done', async () => {
    const { result: groups } = await registry.createQuery(STATUS_QUERY).next();
    console.log('firmware.status: ' + groups.map((g) => `${g.status || 'none'}=${g.devices}`).join(', '));
    return groups.some((g) => g.status === 'done' && g.devices === ids.length);
  });
  await Promise.all(devices.map((device) => device.close()));
  console.log(`firmware ${FIRMWARE} rolled out to every device in Redmond43`);
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
