'use strict';
// npm's install script: a source install (npm install ./bindings-node, a clone) builds this
// platform's native module with cargo; an install from a tarball packed after `napi build`
// finds it there and does nothing.

const path = require('node:path');
const { buildIfMissing } = require('./cargo-build');

function napiPlatform() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const glibc = process.report && process.report.getReport().header.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const packageDir = path.resolve(__dirname, '..');
// `npm ci` / `npm install` inside bindings-node itself is the developer's setup: `napi build`
// (npm run build, make node) makes the binary there, in the profile the developer chose.
// npm names the project being installed in npm_config_local_prefix (INIT_CWD: where npm ran).
const project = process.env.npm_config_local_prefix || process.env.INIT_CWD;
const ownInstall = Boolean(project) && path.resolve(project) === packageDir;
if (!ownInstall) buildIfMissing({
  packageName: 'iothub-twin',
  packageDir,
  kind: 'cdylib',
  artifact: 'iothub_twin_node',
  // The name napi's generated index.js loads for this platform.
  dest: path.join(packageDir, `iothub-twin.${napiPlatform()}.node`),
});
