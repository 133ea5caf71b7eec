'use strict';
// Builds a Rust artifact of this repository's cargo workspace for an npm install from source:
// the addon (scripts/install.js) and, from a source tree, the emulator's npm package
// (emulator/npm/install.js). No dependencies: it runs before any are installed.
//
// A packed tarball already holds the artifact and nothing is built. A source tree (a clone, a
// path or git dependency) has none: it is built with `cargo build --locked` in the release
// profile (IOTHUB_TWIN_BUILD_PROFILE=dev for a debug build), honouring CARGO_TARGET_DIR and
// CARGO_BUILD_TARGET, and copied into the package. Without cargo the install fails with a
// message that says a Rust toolchain is needed (rather than a later, puzzling load error).

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function fail(message) {
  console.error(`\n${message}\n`);
  process.exit(1);
}

function onPath(command) {
  const names = process.platform === 'win32' ? [`${command}.exe`, `${command}.cmd`] : [command];
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    for (const name of names) {
      if (dir && fs.existsSync(path.join(dir, name))) return true;
    }
  }
  return false;
}

/**
 * `{ packageName, packageDir, manifestDir = packageDir, kind: 'cdylib' | 'bin', artifact, dest }`:
 * unless `dest` (absolute) exists, builds the crate whose Cargo.toml is in `manifestDir` and
 * copies its `kind` target named `artifact` (cargo's target name) to `dest`.
 */
function buildIfMissing({ packageName, packageDir, manifestDir = packageDir, kind, artifact, dest }) {
  if (fs.existsSync(dest)) return;
  const what = `${packageName}: this package has no prebuilt ${path.basename(dest)} for ${process.platform}-${process.arch}`;
  const manifest = path.join(manifestDir, 'Cargo.toml');
  if (!fs.existsSync(manifest)) {
    fail(`${what}, and no Rust sources to build it from. Install from a source tree (a clone of ` +
      `the repository) or a tarball packed with the binary for this platform.`);
  }
  if (!onPath('cargo')) {
    fail(`${what}, so it is built from source, which needs a Rust toolchain: \`cargo\` was not ` +
      `found on PATH. Install Rust (https://rustup.rs), then run the npm install again.`);
  }
  const profile = process.env.IOTHUB_TWIN_BUILD_PROFILE || 'release';
  console.error(`${what}: building it with cargo (${profile} profile); this takes a few minutes once`);
  const result = spawnSync('cargo', [
    'build', '--locked', '--manifest-path', manifest, '--profile', profile,
    kind === 'bin' ? `--bin=${artifact}` : '--lib', '--message-format=json-render-diagnostics',
  ], { cwd: manifestDir, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28 });
  if (result.error) fail(`${packageName}: could not run cargo: ${result.error.message}`);
  if (result.status !== 0) fail(`${packageName}: cargo build failed (exit ${result.status}); see its output above`);
  const built = result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
    .filter((m) => m.reason === 'compiler-artifact' && m.target.name === artifact && m.target.kind.includes(kind))
    .map((m) => (kind === 'bin' ? m.executable : m.filenames.find((f) => /\.(so|dylib|dll)$/.test(f))))
    .filter(Boolean);
  if (built.length !== 1) fail(`${packageName}: cargo built no single ${kind} named ${artifact} (found ${JSON.stringify(built)})`);
  fs.copyFileSync(built[0], dest);
  fs.chmodSync(dest, 0o755);
  console.error(`${packageName}: built ${path.relative(packageDir, dest)} from source`);
}

module.exports = { buildIfMissing };
