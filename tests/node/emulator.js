'use strict';
// Starting and stopping the emulator binary for the Node test suites: tests/node and the official-SDK
// compatibility tests in tests/compat/node (not a test file: `node --test` runs *.test.js only).
//
// The binary is `target/$CARGO_BUILD_TARGET/debug/iothub-twin-emulator`, or $IOTHUB_TWIN_EMULATOR.
// It prints exactly one JSON ready line on stdout (DESIGN.md, "The emulator contract"); its stderr
// goes to target/compat/<logName>. It runs under `setpriv --pdeathsig SIGTERM` (when available) and
// is killed on process exit, so it never outlives the test process, even one that is killed.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

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

function findSetpriv() {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', 'setpriv');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Starts the emulator on 127.0.0.1 and resolves to `{child, exited, stderrPath, ready}` once it
 * printed its ready line. `httpsPort`/`mqttPort`: 0 = a free port.
 */
async function startEmulator({ logName, httpsPort, mqttPort = 0, extraArgs = [] }) {
  const binary = emulatorBinary();
  if (!fs.existsSync(binary)) {
    throw new Error(`emulator binary not found at ${binary}: build it with ` +
      '`cargo build --locked -p iothub-twin-emulator` (make compat does) or set IOTHUB_TWIN_EMULATOR');
  }
  const logDir = path.join(REPO_ROOT, 'target', 'compat');
  fs.mkdirSync(logDir, { recursive: true });
  const stderrPath = path.join(logDir, logName);
  const stderrFd = fs.openSync(stderrPath, 'w');
  let command = binary;
  let args = [
    '--in-memory', '--bind', '127.0.0.1', '--mqtt-port', String(mqttPort), '--https-port', String(httpsPort),
    '--hostname', 'localhost', ...extraArgs,
  ];
  const setpriv = findSetpriv();
  if (setpriv) {
    // setpriv execs into the emulator, so the child's pid is the emulator's.
    args = ['--pdeathsig', 'SIGTERM', '--', binary, ...args];
    command = setpriv;
  }
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', stderrFd] });
  fs.closeSync(stderrFd);
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    process.removeListener('exit', killOnExit);
    resolve({ code, signal });
  }));
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

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves once the process is gone. */
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

module.exports = { REPO_ROOT, emulatorBinary, startEmulator, stopEmulator, stderrTail };
