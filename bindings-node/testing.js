'use strict';
// require('iothub-twin/testing'): a local IoT Hub for tests (the iothub-twin-emulator binary, in
// memory, on 127.0.0.1 and free ports) with helpers to create identities and inject the control
// API's faults (`/emulator/...`, emulator/openapi.json). Node's standard library only, so it
// serves code written for the official SDKs as well as for iothub-twin.
//
// No orphans: on Linux the emulator runs under `setpriv --pdeathsig SIGTERM` (util-linux), so
// it gets SIGTERM from the kernel when the test process dies, even by SIGKILL; on a normal exit
// a process 'exit' hook kills hubs that were not stopped.

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const BINARY = process.platform === 'win32' ? 'iothub-twin-emulator.exe' : 'iothub-twin-emulator';
const FIXED_PORTS_LOCK = '/tmp/iothub-fixed-ports.lock';
const API_VERSION = '2021-04-12';
const STOP_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
// The control API's fault settings (emulator/openapi.json, FaultSettings).
const FAULTS = ['withholdTwinResponses', 'delayTwinResponsesMs', 'throttleTwinRequests',
  'throttleServiceRequests', 'refuseConnects'];

class HubRequestError extends Error {
  constructor(method, pathname, statusCode, body) {
    super(`${method} ${pathname}: HTTP ${statusCode}: ${body}`);
    this.name = 'HubRequestError';
    this.statusCode = statusCode;
    this.body = body;
  }
}

function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/**
 * The emulator binary: `binary` if given, else $IOTHUB_TWIN_EMULATOR, else the one the
 * `iothub-twin-emulator` npm package carries, else the first on PATH.
 */
function findEmulator(binary) {
  const checked = (file, source) => {
    if (!executable(file)) throw new Error(`iothub-twin-emulator from ${source} is not an executable file: ${file}`);
    return file;
  };
  if (binary) return checked(binary, 'the binary option');
  if (process.env.IOTHUB_TWIN_EMULATOR) return checked(process.env.IOTHUB_TWIN_EMULATOR, '$IOTHUB_TWIN_EMULATOR');
  let packaged;
  try {
    packaged = require.resolve('iothub-twin-emulator', { paths: [process.cwd(), __dirname] });
  } catch {
    // not installed
  }
  if (packaged) return checked(require(packaged).binaryPath, `the iothub-twin-emulator package (${packaged})`);
  const found = onPath(BINARY);
  if (found) return found;
  throw new Error('iothub-twin-emulator not found: looked for the iothub-twin-emulator npm package ' +
    '(`npm install --save-dev iothub-twin-emulator`, or its folder emulator/npm in a clone), ' +
    '$IOTHUB_TWIN_EMULATOR (unset; set it to the binary\'s path) and PATH (none there; e.g. ' +
    '`cargo install --path emulator`)');
}

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function command(binary, args, fixedPorts) {
  let argv = [binary, ...args];
  if (fixedPorts) {
    const flock = onPath('flock');
    if (!flock) throw new Error(`fixedPorts needs flock(1) (util-linux) to hold ${FIXED_PORTS_LOCK}; it is not on PATH`);
    // flock waits for the lock, holds it and runs the emulator; the emulator inherits the lock
    // file, so the lock is free only once the emulator is gone.
    argv = [flock, '--timeout', '600', FIXED_PORTS_LOCK, ...withPdeathsig(argv)];
  }
  return withPdeathsig(argv);
}

function withPdeathsig(argv) {
  const setpriv = process.platform === 'linux' ? onPath('setpriv') : null;
  // setpriv execs into its command, so the pid stays the command's.
  return setpriv ? [setpriv, '--pdeathsig', 'SIGTERM', '--', ...argv] : argv;
}

/**
 * Starts the emulator; resolves to a Hub once it printed its ready line. Options: `fixedPorts`
 * (MQTT 8883, HTTPS 443, for the official SDKs; waits for and holds an exclusive lock on
 * /tmp/iothub-fixed-ports.lock), `devices` (ids to create at start), `hostname`, `binary`,
 * `logPath` (the emulator's stderr; default a temp file), `readyTimeoutMs`.
 */
async function startHub(options = {}) {
  const { fixedPorts = false, devices = [], hostname = 'localhost', readyTimeoutMs = 60_000 } = options;
  const binary = findEmulator(options.binary);
  const token = crypto.randomBytes(16).toString('hex');
  const args = ['--in-memory', '--bind', '127.0.0.1', '--hostname', hostname,
    '--https-port', fixedPorts ? '443' : '0', '--mqtt-port', fixedPorts ? '8883' : '0', '--entra-token', token];
  for (const id of devices) args.push('--device', id);
  const logPath = options.logPath || path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'iothub-twin-hub-')), 'emulator.log');
  const logFd = fs.openSync(logPath, 'w');
  const [file, ...argv] = command(binary, args, fixedPorts);
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', logFd] });
  fs.closeSync(logFd);
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  child.once('error', () => {}); // reported through 'exit' / the missing ready line
  const lines = readline.createInterface({ input: child.stdout });
  const first = new Promise((resolve) => lines.once('line', resolve));
  lines.on('line', () => {}); // keep draining stdout, so the emulator never blocks on it
  let timer;
  const outcome = await Promise.race([
    first.then((line) => ({ line })),
    exited.then((exit) => ({ exit })),
    new Promise((resolve) => { timer = setTimeout(() => resolve({}), readyTimeoutMs); }),
  ]);
  clearTimeout(timer);
  const hub = new Hub(child, exited, token, logPath);
  const failure = (why) => hub.stop().then(() => { throw new Error(`${why}; log:\n${hub.logTail()}`); });
  if (outcome.exit) return failure(`the emulator exited (${JSON.stringify(outcome.exit)}) before it was ready`);
  if (outcome.line === undefined) return failure(`the emulator printed no ready line within ${readyTimeoutMs} ms`);
  let ready;
  try {
    ready = JSON.parse(outcome.line);
  } catch {
    return failure(`the emulator's first stdout line is not JSON: ${JSON.stringify(outcome.line)}`);
  }
  if (!ready || ready.event !== 'ready') return failure(`not a ready line: ${outcome.line}`);
  hub._ready(ready, fixedPorts);
  return hub;
}

class Hub {
  constructor(child, exited, token, logPath) {
    this._child = child;
    this._exited = exited;
    this._token = token;
    /** The emulator's log (its stderr). */
    this.logPath = logPath;
    /** The emulator's process id. */
    this.pid = child.pid;
    this._signalled = child.pid;
  }

  _ready(ready, fixedPorts) {
    if (fixedPorts) {
      // flock runs the emulator as its only child. Stopping signals the emulator itself: flock
      // then exits after it, so the lock is free (and the ports) when stop() resolves.
      const emulator = childOf(this._child.pid);
      if (emulator) this.pid = this._signalled = emulator;
    }
    this.hostname = ready.hostname;
    this.httpsPort = ready.https_port;
    this.mqttPort = ready.mqtt_port;
    /** `HostName=localhost[:port];SharedAccessKeyName=iothubowner;SharedAccessKey=…` */
    this.serviceConnectionString = ready.service_connection_string;
    /** Path of the CA certificate (PEM), e.g. for NODE_EXTRA_CA_CERTS of a child process. */
    this.caCertPath = ready.ca_cert;
    /** The CA certificate as PEM text: `setOptions({ ca })`, the Registry's `{ ca }` option. */
    this.caCert = fs.readFileSync(ready.ca_cert, 'utf8');
  }

  logTail(lines = 40) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log file)';
    }
  }

  /** Creates a SAS device (keys generated unless given); resolves to its connection string. */
  async createDevice(deviceId, { primaryKey = null, secondaryKey = null, status = 'enabled', edge = false } = {}) {
    const body = { deviceId, status, authentication: sas(primaryKey, secondaryKey), capabilities: { iotEdge: edge } };
    const created = await this.request('PUT', `/devices/${encodeURIComponent(deviceId)}`, body);
    return this.deviceConnectionString(deviceId, created.authentication.symmetricKey.primaryKey);
  }

  /** Creates a SAS module of an existing device; resolves to its connection string. */
  async createModule(deviceId, moduleId, { primaryKey = null, secondaryKey = null } = {}) {
    const created = await this.request('PUT', `/devices/${encodeURIComponent(deviceId)}/modules/${encodeURIComponent(moduleId)}`,
      { deviceId, moduleId, authentication: sas(primaryKey, secondaryKey) });
    return this.deviceConnectionString(deviceId, created.authentication.symmetricKey.primaryKey, moduleId);
  }

  async deleteDevice(deviceId) {
    await this.request('DELETE', `/devices/${encodeURIComponent(deviceId)}`, undefined, { headers: { 'if-match': '*' } });
  }

  /** With `GatewayHostName=host:port` when MQTT is not on 8883 (both SDKs honour it). */
  deviceConnectionString(deviceId, key, moduleId) {
    let text = `HostName=${this.hostname};DeviceId=${deviceId}`;
    if (moduleId !== undefined) text += `;ModuleId=${moduleId}`;
    text += `;SharedAccessKey=${key}`;
    if (this.mqttPort !== 8883) text += `;GatewayHostName=${this.hostname}:${this.mqttPort}`;
    return text;
  }

  /**
   * Closes the device's MQTT connection(s) as a network failure would (all its modules' unless
   * `moduleId` names one); rejects with a HubRequestError (404) when it has none.
   */
  async dropConnection(deviceId, moduleId) {
    const query = moduleId === undefined ? {} : { moduleId };
    await this.request('DELETE', `/emulator/connections/${encodeURIComponent(deviceId)}`, undefined, { query });
  }

  /** The open MQTT connections. */
  connections() {
    return this.request('GET', '/emulator/connections');
  }

  /**
   * Replaces the fault settings: `{ withholdTwinResponses, delayTwinResponsesMs,
   * throttleTwinRequests, throttleServiceRequests, refuseConnects, deviceId }` (counters count
   * down as faults are injected; `deviceId` limits them to one device).
   */
  async setFaults(faults) {
    const unknown = Object.keys(faults).filter((name) => name !== 'deviceId' && !FAULTS.includes(name));
    if (unknown.length) throw new TypeError(`unknown fault ${unknown.join(', ')}; known: ${FAULTS.join(', ')}, deviceId`);
    await this.request('PUT', '/emulator/faults', { deviceId: null, ...faults });
  }

  async clearFaults() {
    await this.request('PUT', '/emulator/faults', {});
  }

  faults() {
    return this.request('GET', '/emulator/faults');
  }

  /** One REST or control-API call as the hub owner; resolves to the parsed JSON answer. */
  request(method, pathname, body, { query = {}, headers = {} } = {}) {
    const params = new URLSearchParams({ ...query, 'api-version': API_VERSION });
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1', port: this.httpsPort, servername: this.hostname, method, ca: this.caCert,
        path: `${pathname}?${params}`, timeout: REQUEST_TIMEOUT_MS, agent: false,
        headers: {
          authorization: `Bearer ${this._token}`, 'content-type': 'application/json', ...headers,
          ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }),
        },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => { text += chunk; });
        res.on('end', () => {
          if (res.statusCode >= 400) reject(new HubRequestError(method, pathname, res.statusCode, text));
          else resolve(text ? JSON.parse(text) : undefined);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${pathname}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  async stop() {
    const child = this._child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(this._signalled, 'SIGTERM');
    } catch {
      child.kill('SIGTERM'); // the emulator is gone already; flock is about to exit
    }
    let timer;
    const done = await Promise.race([
      this._exited.then(() => true),
      new Promise((resolve) => { timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS); }),
    ]);
    clearTimeout(timer);
    if (!done) {
      try {
        process.kill(this._signalled, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      child.kill('SIGKILL');
      await this._exited;
    }
  }
}

/** The one child of process `pid` (Linux /proc), or null. */
function childOf(pid) {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length === 1 ? Number(children[0]) : null;
  } catch {
    return null;
  }
}

function sas(primaryKey, secondaryKey) {
  return { type: 'sas', symmetricKey: { primaryKey, secondaryKey } };
}

module.exports = { startHub, findEmulator, Hub, HubRequestError, FAULTS, FIXED_PORTS_LOCK };
