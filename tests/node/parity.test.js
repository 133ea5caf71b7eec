'use strict';
// Drop-in parity with the installed official packages (tests/compat/node_modules): the names of
// azure-iot-device, azure-iot-device-mqtt and azure-iothub are enumerated from the packages
// (exports, static and prototype members of their twin classes) and each must exist in
// iothub-twin, unless it is outside the twin scope (OUT_OF_SCOPE) or still open (KNOWN_GAPS,
// which must still be missing, so that list only shrinks).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { EventEmitter } = require('node:events');

const compat = (name) => require(path.join(__dirname, '..', 'compat', 'node_modules', name));
const device = compat('azure-iot-device');
const mqtt = compat('azure-iot-device-mqtt');
const hub = compat('azure-iothub');
const ours = require('../../bindings-node');

// The names outside the twin scope, by what they are for.
const OUT_OF_SCOPE = {
  telemetry: ['Message', 'sendEvent', 'sendEventBatch', 'sendOutputEvent', 'sendOutputEventBatch'],
  'direct methods': ['DeviceMethodRequest', 'DeviceMethodResponse', 'onDeviceMethod', 'onMethod', 'invokeMethod'],
  'cloud-to-device messages': ['complete', 'reject', 'abandon', 'setTransportOptions', 'Client (azure-iothub)', 'Amqp', 'AmqpWs'],
  'file upload': ['uploadToBlob', 'getBlobSharedAccessSignature', 'notifyBlobUploadStatus'],
  'IoT Edge environment': ['fromEnvironment', 'validateEnvironment', 'IotEdgeAuthenticationProvider', 'applyConfigurationContentOnDevice'],
};
const OUT = new Set(Object.values(OUT_OF_SCOPE).flat());

// In scope, not done yet (each listed in bindings-node/README.md as open).
const KNOWN_GAPS = new Set([
  'IoTHubTokenCredentials', 'DigitalTwinClient',
  // The registry's blob import/export jobs (they need an Azure Storage container).
  'importDevicesFromBlob', 'importDevicesFromBlobByIdentity', 'exportDevicesToBlob',
  'exportDevicesToBlobByIdentity', 'getJob', 'listJobs', 'cancelJob',
]);


const SKIP = new Set(['length', 'name', 'prototype', 'caller', 'arguments', 'constructor']);
function members(cls) {
  const out = new Set(Object.getOwnPropertyNames(cls).filter((n) => !SKIP.has(n) && !n.startsWith('_')));
  for (let p = cls.prototype; p && p !== Object.prototype && p !== EventEmitter.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) if (!SKIP.has(n) && !n.startsWith('_')) out.add(`#${n}`);
  }
  return [...out];
}

/** `ours[name]`, or a function rethrowing what reading it threw (out-of-scope exports throw). */
function lookup(name) {
  try {
    return ours[name];
  } catch (err) {
    return () => { throw err; };
  }
}

/** [label, gap key, our value or undefined] for every enumerated official name. */
function pairs() {
  const rows = [];
  const add = (label, key, value) => rows.push([label, key, value]);
  for (const name of Object.keys(device)) if (device[name] !== undefined) add(`azure-iot-device.${name}`, name, lookup(name === 'Twin' ? 'DeviceTwin' : name));
  for (const name of Object.keys(mqtt)) add(`azure-iot-device-mqtt.${name}`, name, lookup(name));
  for (const name of Object.keys(hub)) {
    // azure-iothub's Client (messages and methods) would clash with the device Client; the
    // service SharedAccessSignature is ServiceSharedAccessSignature for the same reason.
    const key = name === 'Client' ? 'Client (azure-iothub)' : name;
    const mine = name === 'SharedAccessSignature' ? ours.ServiceSharedAccessSignature : lookup(name);
    add(`azure-iothub.${name}`, key, name === 'Client' ? undefined : mine);
  }
  const classes = [
    ['azure-iot-device.Client', device.Client, ours.Client],
    ['azure-iot-device.ModuleClient', device.ModuleClient, ours.ModuleClient],
    ['azure-iot-device.Twin', device.Twin, ours.DeviceTwin],
    ['azure-iot-device.SharedAccessSignature', device.SharedAccessSignature, ours.SharedAccessSignature],
    ['azure-iot-device.ConnectionString', device.ConnectionString, ours.ConnectionString],
    ['azure-iothub.SharedAccessSignature', hub.SharedAccessSignature, ours.ServiceSharedAccessSignature],
    ['azure-iothub.ConnectionString', hub.ConnectionString, ours.ConnectionString],
    ['azure-iothub.Registry', hub.Registry, ours.Registry],
    ['azure-iothub.Twin', hub.Twin, ours.Twin],
  ];
  for (const [label, official, mine] of classes) {
    if (mine === undefined && KNOWN_GAPS.has(label.split('.')[1])) continue; // the whole class is open
    for (const member of members(official)) {
      const name = member.replace('#', '');
      const key = label.endsWith('Registry') && name === 'fromSharedAccessSignature' ? `${name} (Registry)` : name;
      const value = mine && (member.startsWith('#') ? (mine.prototype || {})[name] : mine[name]);
      add(`${label}${member.startsWith('#') ? '#' : '.'}${name}`, key, value);
    }
  }
  return rows;
}

test('every official twin name exists in iothub-twin', () => {
  const missing = [];
  const closed = [];
  for (const [label, key, value] of pairs()) {
    if (OUT.has(key)) continue;
    if (KNOWN_GAPS.has(key)) { if (value !== undefined) closed.push(label); continue; }
    if (value === undefined) missing.push(label);
  }
  assert.deepEqual(missing, [], `no counterpart in iothub-twin: ${missing.join(', ')}`);
  assert.deepEqual(closed, [], `exist now, take them off KNOWN_GAPS: ${closed.join(', ')}`);
});

test('out-of-scope names fail at once, saying where to go', () => {
  const cs = `HostName=h.example;DeviceId=d;SharedAccessKey=${Buffer.alloc(32).toString('base64')}`;
  const checks = [];
  for (const [label, key, value] of pairs()) {
    if (!OUT.has(key) || key === 'Client (azure-iothub)') continue;
    checks.push(label);
    const call = label.includes('#')
      ? () => value.call(ours.Client.fromConnectionString(cs), () => {})
      : () => value();
    assert.ok(value !== undefined, `${label} should exist and fail loudly`);
    assert.throws(call, (err) => err.code === 'ERR_OUT_OF_SCOPE' && /device twins/.test(err.message) && /azure-iot/.test(err.message), label);
  }
  assert.ok(checks.length >= 15, checks.join(', '));
});

test('importing an out-of-scope class fails at the import', () => {
  assert.throws(() => { const { Message } = require('../../bindings-node'); return Message; },
    (err) => err.code === 'ERR_OUT_OF_SCOPE' && /telemetry/.test(err.message));
  assert.ok(!Object.keys(ours).includes('Message'), 'listing the exports does not throw');
});

test('the README table names every official name', () => {
  const fs = require('node:fs');
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'bindings-node', 'README.md'), 'utf8');
  const table = readme.split('## Parity with the official SDKs')[1].split('\n## ')[0];
  const names = new Set(pairs().map(([, key]) => key.replace(/ \(.*\)$/, '')));
  for (const member of members(device.ModuleClient)) names.add(member.replace('#', ''));
  assert.deepEqual([...names].filter((n) => !table.includes(`\`${n}\``)).sort(), []);
});

test('the out-of-scope list holds only the twin-unrelated families', () => {
  assert.deepEqual(Object.keys(OUT_OF_SCOPE).sort(), ['IoT Edge environment', 'cloud-to-device messages', 'direct methods', 'file upload', 'telemetry']);
  const enumerated = new Set(pairs().map(([, key]) => key));
  for (const member of members(device.ModuleClient)) enumerated.add(member.replace('#', ''));
  assert.deepEqual([...OUT].filter((n) => !enumerated.has(n)), []);
});

test('official transports are taken and setOptions resolves TransportConfigured', async () => {
  const cs = `HostName=h.example;DeviceId=d;SharedAccessKey=${Buffer.alloc(32).toString('base64')}`;
  for (const transport of [mqtt.Mqtt, mqtt.MqttWs, ours.Mqtt, ours.MqttWs]) {
    const client = ours.Client.fromConnectionString(cs, transport);
    assert.deepEqual(await client.setOptions({ keepalive: 30 }), { type: 'TransportConfigured' });
  }
  assert.throws(() => ours.Client.fromConnectionString(cs, class Amqp {}), { name: 'ArgumentError' });
});

test('small names behave as the official ones', async () => {
  assert.equal(ours.versionQueryString(), hub.versionQueryString());
  assert.equal(ours.DeviceTwin.desiredPath, device.Twin.desiredPath);
  assert.equal(ours.DeviceTwin.errorEvent, device.Twin.errorEvent);
  assert.match(await ours.getUserAgentString('extra'), /^iothub-twin\/\S+ \(.*\)extra$/);
});

test('Device model and setRetryPolicy as the official ones check them', () => {
  const description = { deviceId: 'd', authentication: { symmetricKey: { primaryKey: 'k' } } };
  assert.deepEqual(JSON.parse(JSON.stringify(new ours.Device(description))), JSON.parse(JSON.stringify(new hub.Device(description))));
  assert.throws(() => new ours.Device({}), ReferenceError);
  const common = compat('azure-iot-common');
  const client = ours.Client.fromConnectionString(`HostName=h.example;DeviceId=d;SharedAccessKey=${Buffer.alloc(32).toString('base64')}`, ours.Mqtt);
  client.setRetryPolicy(new common.NoRetry());
  assert.equal(client._options.connectionRetry, false);
  client.setRetryPolicy(new common.ExponentialBackOffWithJitter());
  assert.equal(client._options.connectionRetry, true);
  assert.throws(() => client.setRetryPolicy({}), { name: 'ArgumentError' });
  assert.throws(() => client.setRetryPolicy(), ReferenceError);
});

test('a service query starts with a null continuation token', () => {
  const registry = ours.Registry.fromConnectionString(`HostName=h.example;SharedAccessKeyName=owner;SharedAccessKey=${Buffer.alloc(32).toString('base64')}`);
  assert.equal(registry.createQuery('SELECT * FROM devices').continuationToken, null);
});
