'use strict';
// Device (MqttWs with azure-iot-device's mqtt.webSocketAgent, Mqtt with `proxy`) and Registry
// through an HTTP CONNECT proxy with basic auth, HTTPS_PROXY for a child process, and a proxy
// refusing the credentials: an UnauthorizedError at once, no hang.

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { PACKAGE, startHub, runNode } = require('./helpers');
const { startConnectProxy } = require('./connect_proxy');
const { Client, Mqtt, MqttWs, Registry } = require(PACKAGE);

let hub;
let proxy;
before(async () => {
  hub = await startHub('node-proxy.log', 'wsProxy', 'tlsProxy', 'refusedProxy');
  proxy = await startConnectProxy('me:secret');
});
after(async () => {
  if (proxy) await proxy.close();
  if (hub) await hub.stop();
});

test('MqttWs through mqtt.webSocketAgent and Mqtt through proxy', async () => {
  // What https-proxy-agent's HttpsProxyAgent keeps: the proxy URL, credentials included.
  const webSocketAgent = { proxy: new URL(proxy.url('me:secret')) };
  const ws = Client.fromConnectionString(hub.deviceCs('wsProxy'), MqttWs);
  await ws.setOptions({ ca: hub.ca, gatewayHostName: `localhost:${hub.ready.https_port}`, mqtt: { webSocketAgent } });
  const before = proxy.tunnels();
  await (await ws.getTwin()).properties.reported.update({ via: 'ws-proxy' });
  assert.ok(proxy.tunnels() > before);
  await ws.close();

  const tls = Client.fromConnectionString(hub.deviceCs('tlsProxy'), Mqtt);
  await tls.setOptions({ ca: hub.ca, proxy: proxy.url('me:secret') });
  await (await tls.getTwin()).properties.reported.update({ via: 'tls-proxy' });
  await tls.close();

  const registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca, proxy: proxy.url('me:secret') });
  const viaRegistry = proxy.tunnels();
  const { responseBody } = await registry.getTwin('wsProxy');
  assert.equal(responseBody.properties.reported.via, 'ws-proxy');
  assert.ok(proxy.tunnels() > viaRegistry);
});

test('a proxy refusing the credentials fails at once', async () => {
  const client = Client.fromConnectionString(hub.deviceCs('refusedProxy'), Mqtt);
  await client.setOptions({ ca: hub.ca, proxy: proxy.url('me:wrong') });
  const started = Date.now();
  await assert.rejects(client.open(), (err) => err.name === 'UnauthorizedError' && /proxy/.test(err.message) && !/wrong/.test(err.message));
  assert.ok(Date.now() - started < 5000);
  const registry = Registry.fromConnectionString(hub.serviceCs, { ca: hub.ca, proxy: proxy.url('me:wrong') });
  await assert.rejects(registry.getTwin('refusedProxy'), (err) => err.name === 'UnauthorizedError' && /proxy/.test(err.message));
  await assert.rejects(client.setOptions({ mqtt: { webSocketAgent: {} } }), { name: 'ArgumentError' });
});

test('HTTPS_PROXY is used by the device client and the Registry (in a child process)', async () => {
  const script = `
    const { Client, Mqtt, Registry } = require('iothub-twin');
    (async () => {
      const registry = Registry.fromConnectionString(process.env.SERVICE_CS, { ca: process.env.CA });
      await registry.getTwin('tlsProxy');
      const client = Client.fromConnectionString(process.env.DEVICE_CS, Mqtt);
      await client.setOptions({ ca: process.env.CA });
      await client.getTwin();
      await client.close();
      console.log('done');
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const before = proxy.tunnels();
  const { code, stderr } = await runNode(['-e', script], {
    env: { HTTPS_PROXY: proxy.url('me:secret'), SERVICE_CS: hub.serviceCs, DEVICE_CS: hub.deviceCs('tlsProxy'), CA: hub.ca },
  });
  assert.equal(code, 0, stderr);
  assert.ok(proxy.tunnels() >= before + 2, `${proxy.tunnels() - before} tunnels`);
});
