'use strict';
// One Node process holding a fleet of device clients: connect (open + getTwin) each, RSS per
// connected device after a GC, CPU per reported patch with every device patching, connect CPU
// per device, threads, and (after IDLE seconds idle) how many still answer a patch. One JSON
// line on stdout. Run with --expose-gc.
//
//   node --expose-gc node_fleet.js <official|iothub-twin> <env|option> <idleSeconds> <cs>...
// Connection strings come on stdin, one a line (10,000 do not fit a command line comfortably).
// Trust: `env` = NODE_EXTRA_CA_CERTS (the Node guide's way, set by the caller), `option` = the
// CA given through setOptions({ ca }) from the file NODE_EXTRA_CA_CERTS names.

const fs = require('node:fs');

const [, , impl, trust, idleArg] = process.argv;
const PATCHES = 5;
const CONNECT_CONCURRENCY = 64;

const api = impl === 'official'
  ? { Client: require('azure-iot-device').Client, Mqtt: require('azure-iot-device-mqtt').Mqtt }
  : require(process.env.IOTHUB_TWIN_PACKAGE);
const connectionStrings = fs.readFileSync(0, 'utf8').split('\n').filter(Boolean);
const ca = trust === 'option' ? fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8') : undefined;
if (trust === 'option') delete process.env.NODE_EXTRA_CA_CERTS;

function promisify(fn) {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result))));
}
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
function settledRss() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage().rss;
}
const threads = () => Number(/Threads:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function pool(items, concurrency, op) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const i = next++;
      await op(items[i], i);
    }
  }));
}

async function main() {
  const rssBefore = settledRss();
  const cpuBefore = cpuUs();
  const devices = [];
  await pool(connectionStrings, CONNECT_CONCURRENCY, async (cs) => {
    const client = api.Client.fromConnectionString(cs, api.Mqtt);
    if (ca !== undefined) await promisify((cb) => client.setOptions({ ca }, cb));
    await promisify((cb) => client.open(cb));
    const twin = await promisify((cb) => client.getTwin(cb));
    devices.push({ client, twin });
  });
  const connectCpu = cpuUs() - cpuBefore;
  await sleep(2000);
  const rssAfter = settledRss();
  const update = (twin, n) => promisify((cb) => twin.properties.reported.update({ fleet: { n } }, cb));
  const patchCpu = cpuUs();
  const patchStart = Date.now();
  await Promise.all(devices.map(async ({ twin }) => {
    for (let n = 0; n < PATCHES; n++) await update(twin, n);
  }));
  const patchCpuUs = cpuUs() - patchCpu;
  const patchSeconds = (Date.now() - patchStart) / 1000;
  const threadsConnected = threads();
  await sleep(Number(idleArg) * 1000);
  let answering = 0;
  await pool(devices, CONNECT_CONCURRENCY, async ({ twin }) => {
    try { await update(twin, -1); answering += 1; } catch { /* counted as not answering */ }
  });
  await pool(devices, CONNECT_CONCURRENCY, ({ client }) => promisify((cb) => client.close(cb)).catch(() => {}));
  const n = connectionStrings.length;
  console.log(JSON.stringify({
    impl, trust, devices: n, connected: devices.length,
    rss_per_device_kib: Math.round((rssAfter - rssBefore) / n / 102.4) / 10,
    cpu_per_patch_us: Math.round(patchCpuUs / (PATCHES * n)),
    patch_seconds: patchSeconds,
    connect_cpu_per_device_ms: Math.round(connectCpu / n / 10) / 100,
    threads: threadsConnected,
    idle_seconds: Number(idleArg), answering_after_idle: answering,
  }));
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
