'use strict';
// npm's install (and prepack) script: builds the emulator binary with cargo into this folder
// when the package holds none (a source install: npm install ./emulator/npm, a clone). A packed
// tarball carries the binary (prepack built it), so nothing here runs cargo or needs the
// repository; a source tree has bindings-node next to it, whose build helper does the work.

const fs = require('node:fs');
const path = require('node:path');

const dest = path.join(__dirname, process.platform === 'win32' ? 'iothub-twin-emulator.exe' : 'iothub-twin-emulator');
const helper = path.resolve(__dirname, '..', '..', 'bindings-node', 'scripts', 'cargo-build.js');
if (!fs.existsSync(dest)) {
  if (!fs.existsSync(helper)) {
    console.error(`\niothub-twin-emulator: this package has no prebuilt ${path.basename(dest)} for ` +
      `${process.platform}-${process.arch}, and no Rust sources to build it from. Install from a source ` +
      'tree (emulator/npm in a clone of the repository) or a tarball packed with the binary.\n');
    process.exit(1);
  }
  require(helper).buildIfMissing({
    packageName: 'iothub-twin-emulator',
    packageDir: __dirname,
    manifestDir: path.resolve(__dirname, '..'),
    kind: 'bin',
    artifact: 'iothub-twin-emulator',
    dest,
  });
}
