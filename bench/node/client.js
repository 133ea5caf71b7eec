'use strict';
// One benchmark client process: the same workload written once against the official SDKs'
// API, run either with the official packages (azure-iot-device + azure-iot-device-mqtt,
// azure-iothub) or with iothub-twin, which mirrors that API. Started by run.js with
// NODE_EXTRA_CA_CERTS = the emulator's CA; prints one JSON line with the figures.
//
//   node client.js <official|iothub-twin> <deviceConnectionString> <serviceConnectionString> <seconds>

const [, , impl, deviceCs, serviceCs, secondsArg] = process.argv;
const SECONDS = Number(secondsArg || 5);
const CONCURRENCY = 64;

const api = impl === 'official'
  ? {
    Client: require('azure-iot-device').Client,
    Mqtt: require('azure-iot-device-mqtt').Mqtt,
    Registry: require('azure-iothub').Registry,
  }
  : require('iothub-twin');

function promisify(fn) {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result))));
}

/** Runs `op` in `workers` loops for SECONDS; returns completed operations per second. */
async function rate(op, workers = 1) {
  for (let i = 0; i < 3; i++) await op(i); // warm-up
  let done = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    while (Date.now() < deadline) {
      await op(w * 1_000_000 + done);
      done += 1;
    }
  }));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round(done / elapsed);
}

async function main() {
  const result = { impl };
  const connectStart = process.hrtime.bigint();
  const client = api.Client.fromConnectionString(deviceCs, api.Mqtt);
  await promisify((cb) => client.open(cb));
  const twin = await promisify((cb) => client.getTwin(cb));
  result.connect_ms = Number(process.hrtime.bigint() - connectStart) / 1e6;
  const rss = () => Math.round(process.memoryUsage().rss / 1048576 * 10) / 10;
  result.rss_mib_connected = rss();

  const update = (n) => promisify((cb) => twin.properties.reported.update({ bench: { n } }, cb));
  result.patch_seq_per_s = await rate(update, 1);
  result.rss_mib_after_seq = rss();
  result.patch_64_per_s = await rate(update, CONCURRENCY);
  result.rss_mib_after_64 = rss();
  await promisify((cb) => client.close(cb));

  const registry = api.Registry.fromConnectionString(serviceCs);
  const deviceId = /DeviceId=([^;]+)/.exec(deviceCs)[1];
  result.get_twin_per_s = await rate(() => promisify((cb) => registry.getTwin(deviceId, cb)));
  result.query_per_s = await rate(() => promisify((cb) => registry
    .createQuery(`SELECT * FROM devices WHERE deviceId = '${deviceId}'`, 100)
    .nextAsTwin(cb)));
  result.rss_mib_end = rss();
  // Peak resident set size of this process (KiB -> MiB), after all of the above.
  result.max_rss_mib = Math.round(process.resourceUsage().maxRSS / 1024 * 10) / 10;
  console.log(JSON.stringify(result));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
