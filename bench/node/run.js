'use strict';
// Node benchmark: iothub-twin against the official azure-iot-device-mqtt 1.16 / azure-iothub
// 1.16, same emulator (release build, --in-memory), one run, each client in its own process.
// The official device SDK only connects to port 8883 (and the service SDK to 443), so the
// emulator binds those: run under `flock /tmp/iothub-fixed-ports.lock` (make bench-node does).
//
//   node bench/node/run.js <emulator binary> <iothub-twin .node (release)> [seconds]

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const REPO = path.resolve(__dirname, '..', '..');
const [, , emulatorBin, nativeBinary, secondsArg = '5'] = process.argv;

function startEmulator() {
  const child = spawn(emulatorBin, ['--in-memory', '--bind', '127.0.0.1', '--mqtt-port', '8883', '--https-port', '443',
    '--hostname', 'localhost', '--device', 'benchOfficial', '--device', 'benchIothubTwin'], { stdio: ['ignore', 'pipe', 'ignore'] });
  process.on('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, ready: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`emulator exited (${code}) before it was ready`)));
  });
}

function runClient(impl, env, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'client.js'), impl, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${impl} client exited ${code}`))));
  });
}

async function main() {
  const { child, ready } = await startEmulator();
  const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'iothub-twin-bench-'));
  fs.symlinkSync(path.join(REPO, 'bindings-node'), path.join(modules, 'iothub-twin'));
  const base = { ...process.env, NODE_EXTRA_CA_CERTS: ready.ca_cert };
  const official = await runClient('official', { ...base, NODE_PATH: path.join(REPO, 'tests', 'compat', 'node_modules') },
    [ready.devices.benchOfficial, ready.service_connection_string, secondsArg]);
  const ours = await runClient('iothub-twin', { ...base, NODE_PATH: modules, NAPI_RS_NATIVE_LIBRARY_PATH: path.resolve(nativeBinary) },
    [ready.devices.benchIothubTwin, ready.service_connection_string, secondsArg]);
  child.kill('SIGTERM');
  fs.rmSync(modules, { recursive: true, force: true });

  console.log(JSON.stringify(official));
  console.log(JSON.stringify(ours));
  const rows = [
    ['reported patch round trips/s, sequential', 'patch_seq_per_s', 'higher'],
    ['reported patch round trips/s, 64 concurrent', 'patch_64_per_s', 'higher'],
    ['connect (open + getTwin), ms', 'connect_ms', 'lower'],
    ['peak RSS of the client process, MiB', 'max_rss_mib', 'lower'],
    ['service getTwin calls/s', 'get_twin_per_s', 'higher'],
    ['service query calls/s (nextAsTwin, one page)', 'query_per_s', 'higher'],
  ];
  console.log(`\nload average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${secondsArg} s per rate\n`);
  console.log('| measure | iothub-twin | official SDK | iothub-twin / official |');
  console.log('|---|---|---|---|');
  for (const [label, key] of rows) {
    const a = ours[key];
    const b = official[key];
    const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
    console.log(`| ${label} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(2)}× |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
