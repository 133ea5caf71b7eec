'use strict';
// As a new user would: a fresh copy of the repository (its tracked and new files, as a clone
// has them), `npm install` of bindings-node and emulator/npm into fresh npm projects, once from
// the source trees (the install scripts build the addon and the emulator with cargo) and once
// from the tarballs `npm pack` makes of them; then the README's "Testing your twin app" examples
// under node:test (ours and the official SDKs), a mocha test and a jest test (both installed in
// the temporary project), and no emulator left behind by a runner that is stopped.
//
// Run by `make node-packaged` (not a *.test.js file, so `node --test tests/node/` skips it).
// Builds share the repo's target dir and use the dev profile (IOTHUB_TWIN_BUILD_PROFILE=dev):
// only the copy's workspace crates are compiled again. Registry packages come from npm's cache
// when it has them (--prefer-offline).

const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');

const REPO = path.resolve(__dirname, '..', '..', '..');
const OFFICIAL = ['azure-iot-device@1.18.4', 'azure-iot-device-mqtt@1.16.4', 'azure-iothub@1.16.6'];
const MOCHA = 'mocha@12.0.3';
const JEST = 'jest@30.5.2';
const STEP_MS = 600_000;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'iothub-twin-packaged-'));
const clone = path.join(work, 'clone');
let tarballs;

function hostTriple() {
  return process.env.CARGO_BUILD_TARGET
    || execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (.+)$/m)[1];
}

/** The environment of a user's shell: the repo's target dir for cargo, nothing of ours set. */
function userEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('npm_') || ['IOTHUB_TWIN_EMULATOR', 'NODE_EXTRA_CA_CERTS', 'NODE_PATH', 'NODE_TEST_CONTEXT', 'INIT_CWD'].includes(name)) delete env[name];
  }
  return {
    ...env, CARGO_TARGET_DIR: path.join(REPO, 'target'), CARGO_BUILD_TARGET: hostTriple(),
    IOTHUB_TWIN_BUILD_PROFILE: 'dev', ...extra,
  };
}

/** Runs a command; resolves to {code, signal, out} (stdout and stderr together). */
function run(cmd, args, { cwd, env = userEnv(), ms = STEP_MS, detached = false, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.stderr.on('data', (chunk) => { out += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${ms} ms:\n${out}`));
    }, ms);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
    if (onSpawn) onSpawn(child);
  });
}

async function ok(cmd, args, options) {
  const result = await run(cmd, args, options);
  assert.equal(result.code, 0, `${cmd} ${args.join(' ')} (in ${options && options.cwd}):\n${result.out}`);
  return result.out;
}

function project(name) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return dir;
}

const npmInstall = (dir, specs, options = {}) => ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], { cwd: dir, ...options });

function readmeExamples() {
  const text = fs.readFileSync(path.join(REPO, 'bindings-node', 'README.md'), 'utf8');
  const examples = [...text.matchAll(/<!-- example: (\S+) -->\n```js\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(examples.map(([name]) => name), ['thermostat.test.js', 'official_sdks.test.js']);
  return examples;
}

/** The README's examples with `node --test` in `dir`: both pass. */
async function runReadmeExamples(dir) {
  for (const [name, code] of readmeExamples()) fs.writeFileSync(path.join(dir, name), code);
  const out = await ok(process.execPath, ['--test', '--test-reporter=tap', ...readmeExamples().map(([name]) => name)], { cwd: dir });
  assert.match(out, /^# pass 2$/m, out);
  assert.match(out, /^# fail 0$/m, out);
}

function alive(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(what, check, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(() => {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO })
    .toString().split('\0').filter((f) => f && fs.existsSync(path.join(REPO, f)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    fs.copyFileSync(path.join(REPO, file), path.join(clone, file));
  }
  assert.equal(fs.readdirSync(path.join(clone, 'bindings-node')).some((f) => f.endsWith('.node')), false);
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('without cargo, a source install says that a Rust toolchain is needed', async () => {
  const dir = project('no-cargo');
  const noCargoPath = (process.env.PATH || '').split(path.delimiter)
    .filter((d) => d && !fs.existsSync(path.join(d, 'cargo'))).join(path.delimiter);
  for (const pkg of ['bindings-node', path.join('emulator', 'npm')]) {
    const result = await run('npm', ['install', '--no-audit', '--no-fund', path.join(clone, pkg)], { cwd: dir, env: userEnv({ PATH: noCargoPath }) });
    assert.notEqual(result.code, 0, result.out);
    assert.match(result.out, /built from source, which needs a Rust toolchain: `cargo` was not found on PATH/, result.out);
    assert.doesNotMatch(result.out, /wasm32-wasi/, result.out);
  }
});

test('from the source trees: npm install builds with cargo, and the README examples pass', async () => {
  const dir = project('from-source');
  const out = await npmInstall(dir, ['--foreground-scripts', path.join(clone, 'bindings-node'), path.join(clone, 'emulator', 'npm'), ...OFFICIAL]);
  assert.match(out, /iothub-twin: built iothub-twin\.[\w-]+\.node from source/, out);
  assert.match(out, /iothub-twin-emulator: built iothub-twin-emulator from source/, out);
  await runReadmeExamples(dir);
});

test('npm pack of each package holds its binary for this platform', async () => {
  const dest = path.join(work, 'tarballs');
  fs.mkdirSync(dest);
  tarballs = [];
  for (const pkg of ['bindings-node', path.join('emulator', 'npm')]) {
    const out = await ok('npm', ['pack', '--pack-destination', dest], { cwd: path.join(clone, pkg) });
    tarballs.push(path.join(dest, out.trim().split('\n').pop()));
  }
  const listing = (file) => execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n');
  assert.ok(listing(tarballs[0]).some((f) => /^package\/iothub-twin\.[\w-]+\.node$/.test(f)), listing(tarballs[0]).join('\n'));
  assert.ok(listing(tarballs[0]).includes('package/testing.js'));
  assert.ok(listing(tarballs[1]).includes('package/iothub-twin-emulator'), listing(tarballs[1]).join('\n'));
});

test('from the packed tarballs: the README examples, a mocha test and a jest test pass', async () => {
  assert.ok(tarballs, 'npm pack ran');
  const dir = project('from-tarballs');
  await npmInstall(dir, [...tarballs, ...OFFICIAL, MOCHA, JEST]);
  const installed = fs.realpathSync(path.join(dir, 'node_modules', 'iothub-twin'));
  assert.ok(installed.startsWith(fs.realpathSync(dir)), `iothub-twin is a copy, not a link: ${installed}`);
  const bin = await ok(path.join(dir, 'node_modules', '.bin', 'iothub-twin-emulator'), ['--help'], { cwd: dir });
  assert.match(bin, /--in-memory/);
  await runReadmeExamples(dir);

  fs.mkdirSync(path.join(dir, 'test'));
  fs.copyFileSync(path.join(__dirname, 'mocha_thermostat.js'), path.join(dir, 'test', 'thermostat.spec.js'));
  const mocha = await ok(path.join(dir, 'node_modules', '.bin', 'mocha'), ['test/thermostat.spec.js'], { cwd: dir });
  assert.match(mocha, /1 passing/, mocha);

  fs.mkdirSync(path.join(dir, 'jest'));
  fs.copyFileSync(path.join(__dirname, 'jest_thermostat.js'), path.join(dir, 'jest', 'thermostat.test.js'));
  const jest = await ok(path.join(dir, 'node_modules', '.bin', 'jest'), ['--ci', 'jest/'], { cwd: dir });
  assert.match(jest, /Tests:\s+1 passed, 1 total/, jest);
});

// Ctrl-C in a terminal sends SIGINT to the runner's whole process group; SIGKILL hits the
// runner alone (node --test's file processes are its children, mocha runs tests in-process).
for (const [runner, signal] of [['node --test', 'SIGINT'], ['mocha', 'SIGKILL']]) {
  test(`no emulator outlives ${runner} stopped by ${signal}`, async () => {
    const dir = path.join(work, 'from-tarballs');
    assert.ok(fs.existsSync(path.join(dir, 'node_modules', 'mocha')), 'the tarball project exists');
    const pidFile = path.join(dir, `emulator-${signal}.pid`);
    const [cmd, args] = runner === 'mocha'
      ? [path.join(dir, 'node_modules', '.bin', 'mocha'), ['test/thermostat.spec.js']]
      : [process.execPath, ['--test', 'hang.test.js']];
    fs.writeFileSync(path.join(dir, 'hang.test.js'), "const fs = require('node:fs');\n" +
      "const { test } = require('node:test');\nconst { startHub } = require('iothub-twin/testing');\n" +
      "test('hangs', async () => { const hub = await startHub(); fs.writeFileSync(process.env.PID_FILE, String(hub.pid));" +
      ' await new Promise(() => {}); });\n');
    let child;
    const finished = run(cmd, args, {
      cwd: dir, detached: true, ms: 120_000, env: userEnv({ MODE: 'hang', PID_FILE: pidFile }), onSpawn: (c) => { child = c; },
    });
    const early = finished.then((r) => { throw new Error(`${runner} exited before its test started:\n${r.out}`); });
    const pid = Number(await Promise.race([early,
      waitFor('the emulator pid', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8'))]));
    early.catch(() => {});
    assert.ok(alive(pid));
    if (signal === 'SIGINT') process.kill(-child.pid, 'SIGINT');
    else child.kill('SIGKILL');
    const result = await finished;
    assert.notEqual(result.code, 0, result.out);
    await waitFor(`emulator ${pid} to exit`, () => !alive(pid), 20_000);
  });
}
