#!/usr/bin/env node
'use strict';
// `npx iothub-twin-emulator …`: runs the binary with the same arguments and stdio, passes
// Ctrl-C / SIGTERM on, and exits with its status. (Tests start the binary itself, through
// require('iothub-twin/testing'), so no Node process sits between them and the emulator.)

const { spawn } = require('node:child_process');
const { binaryPath } = require('..');

const child = spawn(binaryPath, process.argv.slice(2), { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  console.error(`iothub-twin-emulator: cannot run ${binaryPath}: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => process.exit(code === null ? 128 + (require('node:os').constants.signals[signal] || 0) : code));
