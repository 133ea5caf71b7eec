'use strict';
// The emulator binary this package carries (`binaryPath`); require('iothub-twin/testing')
// starts it. The binary is built from source into this folder at install (install.js) when the
// package holds none, or at `npm pack` (prepack).

const fs = require('node:fs');
const path = require('node:path');

const binaryPath = path.join(__dirname, process.platform === 'win32' ? 'iothub-twin-emulator.exe' : 'iothub-twin-emulator');
if (!fs.existsSync(binaryPath)) {
  throw new Error(`iothub-twin-emulator: ${binaryPath} is missing: the install script did not build it ` +
    '(installed with --ignore-scripts?); run `npm rebuild iothub-twin-emulator` with a Rust toolchain on PATH');
}

module.exports = { binaryPath };
