'use strict';
// The official Node service SDK's configuration and statistics calls against the emulator (run:
// node --test tests/compat/node/). The emulator serves HTTPS on 443 (the Node service SDK
// hard-codes it) and applies configurations every 100 ms; the scenario runs in a child
// `node configurations_flow.js` with NODE_EXTRA_CA_CERTS set to the emulator's CA.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');
const { startEmulator, stopEmulator, stderrTail } = require('../../node/emulator');

const FLOW_SCRIPT = path.join(__dirname, 'configurations_flow.js');

describe('official Node service SDK configurations against the emulator', () => {
  let emu;

  before(async () => {
    emu = await startEmulator({
      logName: 'emulator-node-configurations.stderr',
      httpsPort: 443,
      extraArgs: ['--configuration-interval', '100ms'],
    });
    assert.equal(emu.ready.https_port, 443);
  });

  after(async () => {
    await stopEmulator(emu);
  });

  it('adds overlapping configurations, sees them applied, reads metrics and statistics', () => {
    const env = {
      ...process.env,
      // The machine presets NODE_EXTRA_CA_CERTS to the system bundle: always override.
      NODE_EXTRA_CA_CERTS: emu.ready.ca_cert,
      IOTHUB_CONNECTION_STRING: emu.ready.service_connection_string,
    };
    const suffix = crypto.randomBytes(4).toString('hex');
    const res = spawnSync(process.execPath, [FLOW_SCRIPT, suffix], { env, encoding: 'utf8', timeout: 120_000 });
    const failure = `exit ${res.status}:\n${res.stdout}\n${res.stderr}\n--- emulator stderr ---\n` +
      stderrTail(emu.stderrPath);
    assert.equal(res.status, 0, failure);
    for (const name of ['registry statistics', 'add configurations', 'applied by priority', 'metrics',
      'update rules', 'remove configurations']) {
      assert.match(res.stdout, new RegExp(`^ok - ${name}$`, 'm'), failure);
    }
    assert.match(res.stdout, /^SCENARIO OK configurations$/m, failure);
  });
});
