'use strict';
// The device side, shaped like azure-iot-device's `Client` and `Twin` with
// azure-iot-device-mqtt's `Mqtt` / `MqttWs` transports, over the native DeviceClient.
// Reconnects, resync after a reconnect, SAS renewal and deadlines are the core's; this file
// only keeps the official object shapes and events.

const fs = require('node:fs');
const { EventEmitter } = require('node:events');
const native = require('../index.js');
const { callbackOrPromise } = require('./callbacks');
const { argumentError, facadeError } = require('./errors');
const { trustedCa, pem } = require('./trust');

/** Transport marker: MQTT over TLS (port 8883), like azure-iot-device-mqtt's `Mqtt`. */
class Mqtt {}
Mqtt.transportName = 'mqtt';
/** Transport marker: MQTT over WebSockets (port 443), like azure-iot-device-mqtt's `MqttWs`. */
class MqttWs {}
MqttWs.transportName = 'mqttWs';

function transportName(transportCtor) {
  if (transportCtor === undefined || transportCtor === Mqtt) return 'mqtt';
  if (transportCtor === MqttWs) return 'mqttWs';
  // azure-iot-device-mqtt's own classes, so `require('azure-iot-device-mqtt').Mqtt` works too.
  if (typeof transportCtor === 'function' && transportCtor.name === 'Mqtt') return 'mqtt';
  if (typeof transportCtor === 'function' && transportCtor.name === 'MqttWs') return 'mqttWs';
  throw argumentError('transportCtor must be Mqtt or MqttWs (iothub-twin covers device twins over MQTT)');
}

const DESIRED = 'properties.desired';

/**
 * The proxy URL of a `webSocketAgent` (https-proxy-agent's `HttpsProxyAgent`, which keeps it
 * as `agent.proxy`): the core tunnels through that proxy itself, so the agent is not called.
 */
function proxyUrlOf(agent) {
  const url = agent && agent.proxy;
  if (url && typeof url.href === 'string') return url.href;
  if (typeof url === 'string') return url;
  throw argumentError('mqtt.webSocketAgent must be a proxy agent with a proxy URL (https-proxy-agent\'s HttpsProxyAgent); or give setOptions({ proxy: "http://user:pass@host:port" })');
}

/** Pre-order walk of a patch: [path, value] for every member at every depth. */
function* paths(value, prefix) {
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    yield [path, child];
    yield* paths(child, path);
  }
}

/** Makes `target` (an object users may hold) hold exactly `source`'s members, in place. */
function replaceContents(target, source) {
  for (const key of Object.keys(target)) delete target[key];
  return Object.assign(target, source);
}

/** `obj` at the dotted `path`, or undefined. */
function at(obj, path) {
  let current = obj;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = current[key];
  }
  return current;
}

/**
 * A device twin as azure-iot-device's `Twin`: `properties.desired` and `properties.reported`
 * stay current as patches arrive; `properties.reported.update(patch[, cb])`; events
 * `properties.desired` (the patch) and `properties.desired.<path>` (that part of the patch,
 * when the patch touches it); a new listener for a path that is already set is called with its
 * current value.
 */
class Twin extends EventEmitter {
  constructor(client) {
    super();
    this._client = client;
    this._setProperties({ desired: {}, reported: {} });
    this.on('newListener', (eventName) => {
      if (typeof eventName !== 'string' || !eventName.startsWith(DESIRED)) return;
      const value = at(this, eventName);
      if (value) process.nextTick(() => this.emit(eventName, value));
    });
  }

  /** Reads the twin again (events fire for the whole desired document); resolves to this twin. */
  get(callback) {
    return callbackOrPromise(callback, async () => {
      const properties = await this._client._connected().getTwin();
      this._setProperties(properties);
      this._fireChangeEvents(this.properties.desired);
      return this;
    });
  }

  _setProperties({ desired, reported }) {
    const twin = this;
    const reportedSection = { ...reported };
    Object.defineProperty(reportedSection, 'update', {
      enumerable: false,
      configurable: true,
      value: function update(patch, done) {
        return callbackOrPromise(done, async () => {
          const version = await twin._client._connected().patchTwinReportedProperties(patch);
          // The core merges (one definition of merge patch); the hub's `$version` is kept.
          const reported = twin.properties.reported;
          replaceContents(reported, native.mergePatch(reported, patch)).$version = version;
        }, () => []);
      },
    });
    this.properties = { desired: { ...desired }, reported: reportedSection };
  }

  /**
   * A desired change from the core: the patch and the merged document. A change not newer
   * than what a twin read already gave is skipped.
   */
  _onDesiredPatch({ patch, desired }) {
    const held = this.properties.desired.$version;
    if (typeof held === 'number' && patch.$version <= held) return;
    replaceContents(this.properties.desired, desired);
    this._fireChangeEvents(patch);
  }

  _fireChangeEvents(patch) {
    this.emit(DESIRED, patch);
    for (const [path, value] of paths(patch, '')) this.emit(`${DESIRED}.${path}`, value);
  }
}

/**
 * A device client as azure-iot-device's `Client`: `fromConnectionString`,
 * `fromSharedAccessSignature`, `setOptions`, `open`, `close`, `getTwin`, events `connect`,
 * `disconnect`, `error`. An open client keeps the process alive; `close` lets it exit.
 */
class Client extends EventEmitter {
  constructor(credential, transportCtor) {
    super();
    this._credential = credential;
    this._options = { transport: transportName(transportCtor) };
    this._native = null;
    this._opening = null;
    this._twin = null;
  }

  /** A client for a device or module connection string; `transportCtor` is Mqtt or MqttWs. */
  static fromConnectionString(connStr, transportCtor) {
    if (typeof connStr !== 'string' || connStr === '') throw argumentError('connStr must be a non-empty string');
    return new this({ connectionString: connStr }, transportCtor);
  }

  /** A client for a SAS token (`SharedAccessSignature sr=<host>/devices/<id>&sig=…&se=…`). */
  static fromSharedAccessSignature(sharedAccessSignature, transportCtor) {
    if (typeof sharedAccessSignature !== 'string' || sharedAccessSignature === '') {
      throw argumentError('sharedAccessSignature must be a non-empty string');
    }
    return new this({ sharedAccessSignature }, transportCtor);
  }

  /**
   * Replaces the SAS token of a client made with `fromSharedAccessSignature` (or a connection
   * string holding one) and, when open, reconnects with it at once keeping the twin's
   * subscription. Resolves `{ type: 'SharedAccessSignatureUpdated', needToReconnect }`.
   */
  updateSharedAccessSignature(sharedAccessSignature, done) {
    return callbackOrPromise(done, async () => {
      if (typeof sharedAccessSignature !== 'string' || sharedAccessSignature === '') {
        throw argumentError('sharedAccessSignature must be a non-empty string');
      }
      if (this._opening) await this._opening.catch(() => {});
      const client = this._native;
      if (client) await client.updateSasToken(sharedAccessSignature);
      else if (this._credential.sharedAccessSignature !== undefined) this._credential = { sharedAccessSignature };
      else throw argumentError('only a client made from a shared access signature takes a new one');
      return { type: 'SharedAccessSignatureUpdated', needToReconnect: Boolean(client) };
    });
  }

  /**
   * Options for the next `open`: `ca` (PEM to trust instead of the default roots), `cert` and
   * `key` (X.509) or `certFile` and `keyFile` (their paths), `tokenRenewal`
   * (`tokenValidTimeInSeconds`: each SAS token's lifetime; the core renews at 80 % of it
   * rather than at `tokenRenewalMarginInSeconds` before expiry), and beyond the official SDK `gatewayHostName` (`host:port` to connect to),
   * `modelId`, `productInfo`, `keepalive` (s), `operationTimeoutSecs`, `sasTokenTtlSecs`,
   * `connectionRetry` (false: no reconnecting after a lost connection), `proxy` (an HTTP
   * CONNECT proxy URL; `mqtt.webSocketAgent`'s proxy is taken the same way; default
   * `HTTPS_PROXY`).
   */
  setOptions(options, done) {
    return callbackOrPromise(done, async () => this._applyOptions(options),
      () => [{ type: 'TransportConfigured' }], () => ({ type: 'TransportConfigured' }));
  }

  /** setOptions' work, synchronous (also used by `fromAuthenticationProvider`). */
  _applyOptions(options) {
    if (options === null || typeof options !== 'object') throw argumentError('options must be an object');
    const o = this._options;
    if (options.ca !== undefined) o.ca = pem(options.ca);
    if (options.cert !== undefined) o.cert = pem(options.cert);
    if (options.key !== undefined) o.key = pem(options.key);
    if (options.certFile !== undefined) o.cert = fs.readFileSync(options.certFile, 'utf8');
    if (options.keyFile !== undefined) o.key = fs.readFileSync(options.keyFile, 'utf8');
    if (options.passphrase !== undefined) throw argumentError('encrypted private keys (passphrase) are not supported: give the key unencrypted');
    if (options.clientCertEngine !== undefined) throw argumentError('clientCertEngine (OpenSSL engines) is not supported: TLS is rustls');
    if (options.mqtt && options.mqtt.webSocketAgent !== undefined) o.proxy = proxyUrlOf(options.mqtt.webSocketAgent);
    if (options.proxy !== undefined) o.proxy = String(options.proxy);
    if (options.tokenRenewal !== undefined) o.sasTokenTtlSecs = Number(options.tokenRenewal.tokenValidTimeInSeconds);
    if (options.gatewayHostName !== undefined) o.endpoint = String(options.gatewayHostName);
    if (options.modelId !== undefined) o.modelId = String(options.modelId);
    if (options.productInfo !== undefined) o.productInfo = String(options.productInfo);
    if (options.keepalive !== undefined) o.keepAliveSecs = Number(options.keepalive);
    if (options.operationTimeoutSecs !== undefined) o.operationTimeoutSecs = Number(options.operationTimeoutSecs);
    if (options.sasTokenTtlSecs !== undefined) o.sasTokenTtlSecs = Number(options.sasTokenTtlSecs);
    if (options.connectionRetry !== undefined) o.connectionRetry = Boolean(options.connectionRetry);
  }

  /** Connects (once connected and subscribed it resolves; `connect` is emitted). */
  open(done) {
    return callbackOrPromise(done, () => this._open(), () => [{ type: 'Connected' }]);
  }

  _open() {
    if (this._native) return Promise.resolve();
    if (!this._opening) {
      const options = { ...this._options, ca: trustedCa(this._options.ca) };
      const { connectionString, sharedAccessSignature } = this._credential;
      const connecting = connectionString !== undefined
        ? native.connectDevice(connectionString, options)
        : native.connectDeviceWithSharedAccessSignature(sharedAccessSignature, options);
      this._opening = connecting.then((client) => {
        this._native = client;
        // The twin exists from here on, so no change the core hands over (it holds those made
        // since connecting for the first watcher) is dropped before `getTwin`.
        if (!this._twin) this._twin = new Twin(this);
        client.watch((change) => this._twin._onDesiredPatch(change), (state) => this._onState(state));
        this.emit('connect');
      }).finally(() => { this._opening = null; });
    }
    return this._opening;
  }

  /** The native client, or a NotConnectedError-style rejection if `close` won the race. */
  _connected() {
    if (!this._native) throw facadeError('NotConnectedError', 'ERR_CLIENT_CLOSED', 'the client is not open');
    return this._native;
  }

  _onState({ state, reason, code, name }) {
    if (state === 'connected') this.emit('connect');
    else if (state === 'disconnected') this.emit('disconnect', { type: 'Disconnected', reason });
    else if (state === 'failed') {
      // The core gave up: refused credentials (UnauthorizedError) or an exhausted retry policy
      // (NotConnectedError), as the core's state says. Unlike a bare EventEmitter, an unheard
      // 'error' must not crash the process from a native callback: it is then reported as a
      // final 'disconnect'.
      const err = facadeError(name, code, reason);
      if (this.listenerCount('error') > 0) this.emit('error', err);
      else this.emit('disconnect', { type: 'Disconnected', reason });
    }
  }

  /** Disconnects; the process may exit afterwards. */
  close(done) {
    return callbackOrPromise(done, async () => {
      if (this._opening) await this._opening.catch(() => {});
      const client = this._native;
      this._native = null;
      if (client) {
        await client.close();
        this.emit('disconnect', { type: 'Disconnected', reason: 'closed' });
      }
    }, () => [{ type: 'Disconnected' }]);
  }

  /** The device twin (opening the client when needed); the same Twin object every time, refreshed. */
  getTwin(done) {
    return callbackOrPromise(done, async () => {
      await this._open();
      return this._twin.get();
    });
  }
}

module.exports = { Client, Twin, Mqtt, MqttWs };
