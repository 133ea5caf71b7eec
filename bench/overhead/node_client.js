'use strict';
// The Node package's sequential reported-patch round trips, trusting the emulator through
// NODE_EXTRA_CA_CERTS (the Node guide's way); one JSON line on stdout: round trips, per second,
// mean µs and CPU µs (this process) per round trip.
//
//   IOTHUB_TWIN_PACKAGE=bindings-node NAPI_RS_NATIVE_LIBRARY_PATH=x.node \
//     node node_client.js <deviceConnectionString> <seconds>

const [, , deviceCs, secondsArg] = process.argv;
const { Client, Mqtt } = require(process.env.IOTHUB_TWIN_PACKAGE);

const WARM_UP_MS = 1000;

function promisify(fn) {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result))));
}

async function main() {
  const client = Client.fromConnectionString(deviceCs, Mqtt);
  await promisify((cb) => client.open(cb));
  const twin = await promisify((cb) => client.getTwin(cb));
  const update = (n) => promisify((cb) => twin.properties.reported.update({ bench: { n, mode: 'steady', ok: true } }, cb));
  let n = 0;
  const warm = Date.now() + WARM_UP_MS;
  while (Date.now() < warm) await update(n++);
  let count = 0;
  const deadline = Date.now() + Number(secondsArg) * 1000;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  while (Date.now() < deadline) {
    await update(n++);
    count += 1;
  }
  const wallUs = Number(process.hrtime.bigint() - started) / 1e3;
  const used = process.cpuUsage(cpu);
  await promisify((cb) => client.close(cb));
  const round1 = (x) => Math.round(x * 10) / 10;
  console.log(JSON.stringify({
    round_trips: count,
    per_s: Math.round(count / (wallUs / 1e6)),
    mean_us: round1(wallUs / count),
    cpu_us: round1((used.user + used.system) / count),
  }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
