'use strict';
// Shared by the iothub-twin Node tests (not a test file: `node --test` runs *.test.js only):
// the emulator binary on free ports (emulator.js starts it), its control API,
// and bounded polling (no sleeps to wait for things).

const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const { startEmulator, stopEmulator } = require('./emulator');

const PACKAGE = path.resolve(__dirname, '..', '..', 'bindings-node');
const ENTRA_TOKEN = 'test-entra-token';
const WAIT_MS = 20_000;

/** The emulator on 127.0.0.1 with free ports and the `--entra-token` stand-in. */
async function startHub(logName, ...devices) {
  const extraArgs = ['--entra-token', ENTRA_TOKEN];
  for (const id of devices) extraArgs.push('--device', id);
  const emu = await startEmulator({ logName, httpsPort: 0, mqttPort: 0, extraArgs });
  const { ready } = emu;
  return {
    emu,
    ready,
    ca: fs.readFileSync(ready.ca_cert, 'utf8'),
    serviceCs: ready.service_connection_string,
    hostName: `localhost:${ready.https_port}`,
    deviceCs: (id) => ready.devices[id],
    stop: () => stopEmulator(emu),
  };
}

/** A JSON request to the emulator's REST or control API as owner; resolves to {status, body}. */
function hubRequest(hub, method, pathname, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({
      host: '127.0.0.1',
      port: hub.ready.https_port,
      path: pathname.includes('?') ? pathname : `${pathname}?api-version=2021-04-12`,
      method,
      ca: hub.ca,
      servername: 'localhost',
      timeout: WAIT_MS,
      headers: {
        authorization: `Bearer ${ENTRA_TOKEN}`,
        'content-type': 'application/json',
        ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}),
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${pathname}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls `check()` (sync or async) until it returns a truthy value; fails after `ms`. */
async function waitFor(what, check, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Collects emitted values of `emitter`'s `event`; `next(pred)` waits (bounded) for a match. */
function recorder(emitter, event) {
  const seen = [];
  emitter.on(event, (value) => seen.push(value === undefined ? undefined : JSON.parse(JSON.stringify(value))));
  return {
    seen,
    // Resolves to the first matching value (which may itself be undefined, e.g. 'connect').
    next: async (pred = () => true, what = event) => seen[await waitFor(what, () => seen.findIndex(pred) + 1) - 1],
  };
}

/** A promise settled by a Node callback: `viaCallback((cb) => api(args, cb))` → [result, ...rest]. */
function viaCallback(call) {
  return new Promise((resolve, reject) => {
    const returned = call((err, ...results) => (err ? reject(err) : resolve(results)));
    if (returned !== undefined) reject(new Error('a call with a callback must return undefined'));
  });
}

/** A device SAS token valid for `ttlSecs`, signed here with the key of connection string `cs`. */
function deviceSas(cs, ttlSecs) {
  const parts = Object.fromEntries(cs.split(';').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  const sr = encodeURIComponent(`${parts.HostName}/devices/${parts.DeviceId}`);
  const se = Math.floor(Date.now() / 1000) + ttlSecs;
  const sig = crypto.createHmac('sha256', Buffer.from(parts.SharedAccessKey, 'base64')).update(`${sr}\n${se}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}`;
}

/** Environment for a child process: NODE_EXTRA_CA_CERTS overridden (never inherited). */
function childEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  if (!('NODE_EXTRA_CA_CERTS' in extra)) delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

module.exports = { PACKAGE, ENTRA_TOKEN, startHub, hubRequest, waitFor, recorder, viaCallback, childEnv, deviceSas };

const { spawn } = require('node:child_process');
const os = require('node:os');

let modulesDir;
/** A directory holding only `iothub-twin` (a link to bindings-node), for NODE_PATH. */
function packageOnNodePath() {
  if (!modulesDir) {
    modulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iothub-twin-node-path-'));
    fs.symlinkSync(PACKAGE, path.join(modulesDir, 'iothub-twin'), 'dir');
    process.on('exit', () => fs.rmSync(modulesDir, { recursive: true, force: true }));
  }
  return modulesDir;
}

/**
 * Runs `node args…` with `require('iothub-twin')` resolvable; `onLine(line, child)` sees each
 * stdout line. Resolves to {code, signal, stdout, stderr} when the process exits by itself;
 * kills it and rejects after `ms`.
 */
function runNode(args, { env = {}, onLine = () => {}, ms = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: childEnv({ NODE_PATH: packageOnNodePath(), ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      pending += chunk;
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        Promise.resolve(onLine(line, child)).catch((err) => { child.kill('SIGKILL'); reject(err); });
      }
    });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not exit within ${ms} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

module.exports.runNode = runNode;
