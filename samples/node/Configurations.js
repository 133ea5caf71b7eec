'use strict';
// Automatic device configurations with iothub-twin (azure-iothub's Registry names): a plant-wide
// telemetry interval and a higher-priority one for a test ring overlap on one device; each
// device reads the desired values that won, and the back end reads the metrics.
//
//   node Configurations.js SERVICE_CS PROD_DEVICE_CS TEST_DEVICE_CS PREFIX
//
// Against the emulator, trust its CA with NODE_EXTRA_CA_CERTS; the emulator applies
// configurations every --configuration-interval.

const { Registry, Client, Mqtt } = require('iothub-twin');

const [serviceCs, prodCs, testCs, prefix] = process.argv.slice(2);
const deviceId = (cs) => /DeviceId=([^;]+)/.exec(cs)[1];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const registry = Registry.fromConnectionString(serviceCs);
  const plant = `${prefix}-north`;
  await registry.updateTwin(deviceId(prodCs), { tags: { plant, ring: 'prod' } }, '*');
  await registry.updateTwin(deviceId(testCs), { tags: { plant, ring: 'test' } }, '*');

  const { responseBody: plantWide } = await registry.addConfiguration({
    id: `${prefix}-plant-wide`,
    targetCondition: `tags.plant = '${plant}'`,
    content: { deviceContent: { 'properties.desired.telemetry': { interval: 60, unit: 's' } } },
    priority: 1,
    metrics: {
      queries: { reportingSixty: `SELECT deviceId FROM devices WHERE tags.plant = '${plant}' AND properties.reported.telemetry.interval = 60` },
    },
  });
  const { responseBody: testRing } = await registry.addConfiguration({
    id: `${prefix}-test-ring`,
    targetCondition: `tags.plant = '${plant}' AND tags.ring = 'test'`,
    content: { deviceContent: { 'properties.desired.telemetry.interval': 5 } },
    priority: 10,
  });
  console.log(`created ${plantWide.id} (priority ${plantWide.priority}) and ${testRing.id} (priority ${testRing.priority})`);

  // The hub applies configurations on its own schedule: wait until both are applied everywhere.
  const applied = async (id) => (await registry.getConfiguration(id)).responseBody.systemMetrics.results.appliedCount;
  const deadline = Date.now() + 30_000;
  while (await applied(plantWide.id) < 2 || await applied(testRing.id) < 1) {
    if (Date.now() > deadline) throw new Error('the configurations were not applied within 30 s');
    await sleep(200);
  }

  for (const cs of [prodCs, testCs]) {
    const client = Client.fromConnectionString(cs, Mqtt);
    const twin = await client.getTwin();
    const { interval, unit } = twin.properties.desired.telemetry;
    await new Promise((resolve, reject) => twin.properties.reported.update({ telemetry: { interval, unit } }, (err) => (err ? reject(err) : resolve())));
    console.log(`[device ${deviceId(cs)}] desired telemetry ${JSON.stringify({ interval, unit })}`);
    await client.close();
  }

  for (const id of [plantWide.id, testRing.id]) {
    const { responseBody: configuration } = await registry.getConfiguration(id);
    console.log(`${id}: system metrics ${JSON.stringify(configuration.systemMetrics.results)}, custom metrics ${JSON.stringify(configuration.metrics.results)}`);
  }
  const { responseBody: statistics } = await registry.getRegistryStatistics();
  console.log(`registry: ${statistics.totalDeviceCount} devices, ${statistics.enabledDeviceCount} enabled`);
}

main().catch((err) => {
  console.error(`${err.constructor.name}: ${err.message}`);
  process.exit(1);
});
