'use strict';
// The official Node service SDK (azure-iothub 1.16.6) against the emulator (run: node --test tests/compat/node/).
//
// `before` starts the emulator binary (`target/$CARGO_BUILD_TARGET/debug/iothub-twin-emulator`, or
// $IOTHUB_TWIN_EMULATOR) on 127.0.0.1 with HTTPS on port 443, because the Node service SDK
// hard-codes 443 (spec/official-sdk-wire.md §2.4); `after` stops it. Each scenario runs in a
// child `node service_flow.js` with NODE_EXTRA_CA_CERTS set to the emulator's CA, since Node reads
// that variable only at process start.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const FLOW_SCRIPT = path.join(__dirname, 'service_flow.js');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const SCENARIO_TIMEOUT_MS = 120_000;

function emulatorBinary() {
  if (process.env.IOTHUB_TWIN_EMULATOR) return process.env.IOTHUB_TWIN_EMULATOR;
  let triple = process.env.CARGO_BUILD_TARGET;
  if (!triple) {
    const out = execFileSync('rustc', ['-vV'], { encoding: 'utf8' });
    triple = out.split('\n').find((l) => l.startsWith('host: ')).slice('host: '.length);
  }
  return path.join(REPO_ROOT, 'target', triple.trim(), 'debug', 'iothub-twin-emulator');
}

function stderrTail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no stderr file)';
  }
}

async function startEmulator() {
  const binary = emulatorBinary();
  if (!fs.existsSync(binary)) {
    throw new Error(`emulator binary not found at ${binary}: build it with ` +
      '`cargo build --locked -p iothub-twin-emulator` (make compat does) or set IOTHUB_TWIN_EMULATOR');
  }
  const logDir = path.join(REPO_ROOT, 'target', 'compat');
  fs.mkdirSync(logDir, { recursive: true });
  const stderrPath = path.join(logDir, 'emulator-node.stderr');
  const stderrFd = fs.openSync(stderrPath, 'w');
  const child = spawn(binary, [
    '--in-memory', '--bind', '127.0.0.1', '--mqtt-port', '0', '--https-port', '443', '--hostname', 'localhost',
  ], { stdio: ['ignore', 'pipe', stderrFd] });
  fs.closeSync(stderrFd);

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const lines = readline.createInterface({ input: child.stdout });
  const firstLine = new Promise((resolve) => lines.once('line', resolve));
  // Keep draining stdout after the ready line so the emulator never blocks on a full pipe.
  lines.on('line', () => {});
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), READY_TIMEOUT_MS); });
  const first = await Promise.race([firstLine, exited.then((e) => ({ exited: e })), timeout]);
  clearTimeout(timer);
  const emu = { child, exited, stderrPath, ready: null };
  if (first === null) {
    await stopEmulator(emu);
    throw new Error(`emulator printed no ready line within ${READY_TIMEOUT_MS} ms; stderr:\n${stderrTail(stderrPath)}`);
  }
  if (typeof first === 'object') {
    throw new Error(`emulator exited (${JSON.stringify(first.exited)}) before its ready line; ` +
      `stderr:\n${stderrTail(stderrPath)}`);
  }
  try {
    emu.ready = JSON.parse(first);
  } catch {
    await stopEmulator(emu);
    throw new Error(`emulator's first stdout line is not JSON: ${JSON.stringify(first)}`);
  }
  return emu;
}

async function stopEmulator(emu) {
  if (!emu || emu.child.exitCode !== null || emu.child.signalCode !== null) return;
  emu.child.kill('SIGTERM');
  let timer;
  const done = await Promise.race([
    emu.exited.then(() => true),
    new Promise((resolve) => { timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS); }),
  ]);
  clearTimeout(timer);
  if (!done) {
    emu.child.kill('SIGKILL');
    await emu.exited;
  }
}

function runScenario(emu, scenario) {
  const deviceId = `compat-node-${scenario}-${crypto.randomBytes(6).toString('hex')}`;
  const env = {
    ...process.env,
    // The machine presets NODE_EXTRA_CA_CERTS to the system bundle: always override.
    NODE_EXTRA_CA_CERTS: emu.ready.ca_cert,
    IOTHUB_CONNECTION_STRING: emu.ready.service_connection_string,
  };
  const res = spawnSync(process.execPath, [FLOW_SCRIPT, scenario, deviceId], {
    env, encoding: 'utf8', timeout: SCENARIO_TIMEOUT_MS,
  });
  const output = `--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`;
  const failure = `scenario ${scenario} failed (exit ${res.status}, signal ${res.signal}` +
    `${res.error ? ', ' + res.error.message : ''}):\n${output}\n--- emulator stderr (tail) ---\n` +
    stderrTail(emu.stderrPath);
  assert.equal(res.status, 0, failure);
  assert.match(res.stdout, new RegExp(`^SCENARIO OK ${scenario}$`, 'm'), failure);
  return res.stdout;
}

describe('official Node service SDK (azure-iothub 1.16.6) against the emulator', () => {
  let emu;

  before(async () => {
    emu = await startEmulator();
    const r = emu.ready;
    assert.equal(r.event, 'ready');
    assert.equal(r.https_port, 443);
    assert.ok(r.ca_cert && fs.existsSync(r.ca_cert), `ca_cert ${r.ca_cert} must exist`);
    // Port 443 means no port in HostName, which is what the Node SDK needs.
    assert.match(r.service_connection_string, /(^|;)HostName=localhost(;|$)/);
    assert.match(r.service_connection_string, /(^|;)SharedAccessKeyName=iothubowner(;|$)/);
  });

  after(async () => {
    await stopEmulator(emu);
  });

  it('does the guide flow: create, get twin, update with etag, stale etag 412, replace, delete', () => {
    const out = runScenario(emu, 'flow');
    for (const stepName of ['create device', 'get twin', 'update twin with etag', 'stale etag gives 412',
      'replace twin', 'delete device']) {
      assert.match(out, new RegExp(`^ok - ${stepName}$`, 'm'));
    }
  });

  it('rejects a duplicate create with 409 DeviceAlreadyExistsError', () => {
    const out = runScenario(emu, 'duplicate');
    assert.match(out, /^ok - duplicate create gives 409$/m);
  });
});
