'use strict';
// npm's install (and prepack) script: builds the emulator binary with cargo into this folder
// when the package holds none (a source install: npm install ./emulator/npm, a clone).

const path = require('node:path');
const { buildIfMissing } = require('./cargo-build');

buildIfMissing({
  packageName: 'iothub-twin-emulator',
  packageDir: __dirname,
  manifestDir: path.resolve(__dirname, '..'),
  kind: 'bin',
  artifact: 'iothub-twin-emulator',
  dest: path.join(__dirname, process.platform === 'win32' ? 'iothub-twin-emulator.exe' : 'iothub-twin-emulator'),
});
