'use strict';
// The official Node device SDK (azure-iot-device 1.18.4, azure-iot-device-mqtt 1.16.4) against the
// emulator's MQTT endpoint, over Mqtt (TLS) and MqttWs (WebSockets) (run: node --test tests/compat/node/).
//
// `before` starts the emulator (emulator.js) on 127.0.0.1 with MQTT on 8883 and HTTPS/WebSockets
// on 443: MqttWs always uses port 443 (spec/official-sdk-wire.md §2.2), and the service SDK that
// sets desired properties does too (§2.4). `after` stops it. Each transport runs in a child
// `node device_flow.js` with NODE_EXTRA_CA_CERTS set to the emulator's CA, since Node reads that
// variable only at process start. The fixed ports are never used twice at once: `make compat`
// runs the Python and Node suites one after the other, node test files one at a time, each suite
// holding /tmp/iothub-fixed-ports.lock (tests/with-fixed-ports-lock.sh) against other runs.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { startEmulator, stopEmulator, stderrTail } = require('../../node/emulator');

const FLOW_SCRIPT = path.join(__dirname, 'device_flow.js');
const SCENARIO_TIMEOUT_MS = 180_000;
const STEPS = ['create device', 'connect', 'get twin', 'patch reported', 'receive desired patch', 'reconnect',
  'get twin after reconnect', 'receive desired patch after reconnect', 'clear desired'];

function runFlow(emu, entraToken, transport) {
  const deviceId = `compat-nodedev-${transport.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`;
  const env = {
    ...process.env,
    // The machine presets NODE_EXTRA_CA_CERTS to the system bundle: always override.
    NODE_EXTRA_CA_CERTS: emu.ready.ca_cert,
    IOTHUB_CONNECTION_STRING: emu.ready.service_connection_string,
    EMULATOR_ENTRA_TOKEN: entraToken,
  };
  const res = spawnSync(process.execPath, [FLOW_SCRIPT, transport, deviceId], {
    env, encoding: 'utf8', timeout: SCENARIO_TIMEOUT_MS, killSignal: 'SIGKILL',
  });
  const output = `--- stdout ---\n${res.stdout}\n--- stderr ---\n${res.stderr}`;
  const failure = `device flow over ${transport} failed (exit ${res.status}, signal ${res.signal}` +
    `${res.error ? ', ' + res.error.message : ''}):\n${output}\n--- emulator stderr (tail) ---\n` +
    stderrTail(emu.stderrPath);
  assert.equal(res.status, 0, failure);
  assert.match(res.stdout, new RegExp(`^SCENARIO OK ${transport}$`, 'm'), failure);
  for (const stepName of STEPS) {
    assert.match(res.stdout, new RegExp(`^ok - ${stepName}$`, 'm'), failure);
  }
}

describe('official Node device SDK (azure-iot-device 1.18.4, azure-iot-device-mqtt 1.16.4) against the emulator', () => {
  let emu;
  const entraToken = crypto.randomBytes(16).toString('hex');

  before(async () => {
    emu = await startEmulator({
      logName: 'emulator-node-device.stderr', httpsPort: 443, mqttPort: 8883, extraArgs: ['--entra-token', entraToken],
    });
    const r = emu.ready;
    assert.equal(r.event, 'ready');
    assert.equal(r.mqtt_port, 8883);
    assert.equal(r.https_port, 443);
    assert.ok(r.ca_cert && fs.existsSync(r.ca_cert), `ca_cert ${r.ca_cert} must exist`);
    assert.match(r.service_connection_string, /(^|;)HostName=localhost(;|$)/);
  });

  after(async () => {
    await stopEmulator(emu);
  });

  it('does the guide device flow over Mqtt (TLS, port 8883)', () => {
    runFlow(emu, entraToken, 'Mqtt');
  });

  it('does the guide device flow over MqttWs (WebSockets, port 443)', () => {
    runFlow(emu, entraToken, 'MqttWs');
  });
});
