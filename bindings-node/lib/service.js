'use strict';
// The back-end side, shaped like azure-iothub's `Registry`, `Twin` and `Query`, over the
// native ServiceClient. Promise forms resolve like the official SDK's:
// `{ responseBody, httpResponse }` for Registry calls and `{ result, message }` for Twin and
// Query calls; callbacks get `(err, result, response)`. The response objects carry only
// `statusCode` (the core returns successful answers only).

const native = require('../index.js');
const { callbackOrPromise } = require('./callbacks');
const { argumentError } = require('./errors');
const { trustedCa } = require('./trust');

function withHttpResponse(callback, work, statusCode = 200) {
  return callbackOrPromise(
    callback,
    work,
    (result) => [result, { statusCode }],
    (result) => ({ responseBody: result, httpResponse: { statusCode } }),
  );
}

function withMessage(callback, work) {
  return callbackOrPromise(
    callback,
    work,
    (result) => [result, { statusCode: 200 }],
    (result) => ({ result, message: { statusCode: 200 } }),
  );
}

function requireString(name, value) {
  if (typeof value !== 'string' || value === '') throw argumentError(`${name} must be a non-empty string`);
}

/** A twin as azure-iothub's `Twin`: the twin's fields, plus `get()` and `update(patch)`. */
class Twin {
  constructor(device, registry) {
    Object.defineProperty(this, '_registry', { value: registry, enumerable: false });
    if (typeof device === 'string') {
      this.deviceId = device;
    } else {
      this._assign(device);
    }
    if (!this.tags) this.tags = {};
    if (!this.properties) this.properties = { desired: {}, reported: {} };
  }

  _assign(twin) {
    for (const key of Object.keys(this)) delete this[key];
    Object.assign(this, twin);
    return this;
  }

  /** Reads the twin again; resolves to `{ result: this, message }`. */
  get(done) {
    return withMessage(done, async () => this._assign(await this._call('getTwin', 'getModuleTwin')));
  }

  /**
   * Merges `patch` (`{tags, properties: {desired}}`) if the twin's `etag` still holds (else
   * InvalidEtagError). As in azure-iothub, the hub's answer is merged into this object: fields
   * the caller added stay.
   */
  update(patch, done) {
    return withMessage(done, async () => Object.assign(this, await this._call('updateTwin', 'updateModuleTwin', patch, this.etag)));
  }

  _call(deviceMethod, moduleMethod, ...args) {
    const client = this._registry._native;
    return this.moduleId
      ? client[moduleMethod](this.deviceId, this.moduleId, ...args)
      : client[deviceMethod](this.deviceId, ...args);
  }

  toJSON() {
    return { ...this };
  }
}

/** A query as azure-iothub's `Query`: pages through `next()` / `nextAsTwin()` while `hasMoreResults`. */
class Query {
  constructor(registry, sql, pageSize) {
    Object.defineProperty(this, '_registry', { value: registry, enumerable: false });
    this._sql = sql;
    this._pageSize = pageSize;
    this.continuationToken = null;
    this.hasMoreResults = true;
  }

  async _page(continuationToken) {
    const token = typeof continuationToken === 'string' ? continuationToken : this.continuationToken;
    const page = await this._registry._native.query(this._sql, this._pageSize, token);
    this.continuationToken = page.continuationToken || null;
    this.hasMoreResults = Boolean(page.continuationToken);
    return page.items;
  }

  /** The next page as plain JSON items. */
  next(continuationToken, done) {
    if (typeof continuationToken === 'function') [continuationToken, done] = [undefined, continuationToken];
    return withMessage(done, () => this._page(continuationToken));
  }

  /** The next page as Twin objects (with `get` and `update`). */
  nextAsTwin(continuationToken, done) {
    if (typeof continuationToken === 'function') [continuationToken, done] = [undefined, continuationToken];
    return withMessage(done, async () => (await this._page(continuationToken)).map((t) => new Twin(t, this._registry)));
  }
}

/** The identity registry and twins, as azure-iothub's `Registry`. */
class Registry {
  constructor(nativeClient) {
    Object.defineProperty(this, '_native', { value: nativeClient, enumerable: false });
  }

  /**
   * A registry for a service connection string. `options`, beyond the official SDK: `ca` (PEM
   * to trust instead of the default roots), `timeoutSecs`, `productInfo`, `proxy` (an HTTP
   * CONNECT proxy URL; default `HTTPS_PROXY`).
   */
  static fromConnectionString(connStr, options = {}) {
    requireString('connStr', connStr);
    return Registry._make(() => native.ServiceClient.fromConnectionString(connStr, Registry._options(options)));
  }

  /** A registry for a service SAS token (`SharedAccessSignature sr=<host>&sig=…&se=…&skn=<policy>`). */
  static fromSharedAccessSignature(sharedAccessSignature, options = {}) {
    requireString('sharedAccessSignature', sharedAccessSignature);
    // The official second argument is a transport constructor; options are ours.
    const ours = typeof options === 'function' ? {} : options;
    return Registry._make(() => native.ServiceClient.fromSharedAccessSignature(sharedAccessSignature, Registry._options(ours)));
  }

  /**
   * A registry for hub `hostName` authenticated by an `@azure/identity`-style credential: its
   * `getToken('https://iothubs.azure.net/.default')` is asked for every request's bearer token.
   */
  static fromTokenCredential(hostName, tokenCredential, options = {}) {
    requireString('hostName', hostName);
    if (!tokenCredential || typeof tokenCredential.getToken !== 'function') {
      throw argumentError('tokenCredential must have a getToken(scopes) method');
    }
    const getToken = async (scope) => {
      const accessToken = await tokenCredential.getToken(scope);
      if (!accessToken || typeof accessToken.token !== 'string') throw new Error('getToken returned no token');
      return accessToken.token;
    };
    return Registry._make(() => native.ServiceClient.fromTokenProvider(hostName, getToken, Registry._options(options)));
  }

  static _options({ ca, timeoutSecs, productInfo, proxy } = {}) {
    return { ca: trustedCa(ca), timeoutSecs, productInfo, proxy };
  }

  static _make(build) {
    let client;
    try {
      client = build();
    } catch (err) {
      throw require('./errors').fromNative(err);
    }
    return new Registry(client);
  }

  /** Creates a device (`{deviceId, status?, authentication?}`). */
  create(deviceInfo, done) {
    return withHttpResponse(done, () => this._native.createDevice(deviceInfo));
  }

  /** Reads a device identity. */
  get(deviceId, done) {
    return withHttpResponse(done, () => this._native.getDevice(deviceId));
  }

  /** Deletes a device (any etag). */
  delete(deviceId, done) {
    return withHttpResponse(done, async () => { await this._native.deleteDevice(deviceId); }, 204);
  }

  /** Creates a module (`{deviceId, moduleId, authentication?}`). */
  addModule(module, done) {
    return withHttpResponse(done, () => this._native.createModule(module));
  }

  /** Creates up to 100 devices in one call (resolves to the BulkRegistryOperationResult). */
  addDevices(devices, done) {
    return require('./job_client').registryBulk.addDevices(this, devices, done);
  }

  /** Updates up to 100 devices in one call; `forceUpdate` ignores their etags. */
  updateDevices(devices, forceUpdate, done) {
    return require('./job_client').registryBulk.updateDevices(this, devices, forceUpdate, done);
  }

  /** Deletes up to 100 devices in one call; `forceRemove` ignores their etags. */
  removeDevices(devices, forceRemove, done) {
    return require('./job_client').registryBulk.removeDevices(this, devices, forceRemove, done);
  }

  /** A device twin, as a Twin with `get` and `update`. */
  getTwin(deviceId, done) {
    return withHttpResponse(done, async () => new Twin(await this._native.getTwin(deviceId), this));
  }

  /** A module twin. */
  getModuleTwin(deviceId, moduleId, done) {
    return withHttpResponse(done, async () => new Twin(await this._native.getModuleTwin(deviceId, moduleId), this));
  }

  /** Merges `patch` into a device twin if `etag` holds (`'*'`: any). */
  updateTwin(deviceId, patch, etag, done) {
    return withHttpResponse(done, async () => new Twin(await this._native.updateTwin(deviceId, patch, etag), this));
  }

  /** Merges `patch` into a module twin if `etag` holds. */
  updateModuleTwin(deviceId, moduleId, patch, etag, done) {
    return withHttpResponse(done, async () => new Twin(await this._native.updateModuleTwin(deviceId, moduleId, patch, etag), this));
  }

  /** Beyond the official SDK: replaces a device twin's tags and desired properties if `etag` holds. */
  replaceTwin(deviceId, twin, etag, done) {
    if (typeof etag === 'function') [etag, done] = [undefined, etag];
    return withHttpResponse(done, async () => new Twin(await this._native.replaceTwin(deviceId, plain(twin), etag), this));
  }

  /** Beyond the official SDK: replaces a module twin's tags and desired properties if `etag` holds. */
  replaceModuleTwin(deviceId, moduleId, twin, etag, done) {
    if (typeof etag === 'function') [etag, done] = [undefined, etag];
    return withHttpResponse(done, async () => new Twin(await this._native.replaceModuleTwin(deviceId, moduleId, plain(twin), etag), this));
  }

  /** Updates a device identity (`{deviceId, status?, authentication?, etag?}`; any etag when absent). */
  update(deviceInfo, done) {
    return withHttpResponse(done, () => this._native.updateDevice(deviceInfo, deviceInfo && deviceInfo.etag));
  }

  /** The device identities (the hub's first page, as azure-iothub). */
  list(done) {
    return withHttpResponse(done, () => this._native.listDevices());
  }

  /** Reads a module identity. */
  getModule(deviceId, moduleId, done) {
    return withHttpResponse(done, () => this._native.getModule(deviceId, moduleId));
  }

  /** The module identities of a device. */
  getModulesOnDevice(deviceId, done) {
    return withHttpResponse(done, () => this._native.listModules(deviceId));
  }

  /** Updates a module identity (`{deviceId, moduleId, authentication?, etag?}`). */
  updateModule(module, done) {
    return withHttpResponse(done, () => this._native.updateModule(module, module && module.etag));
  }

  /** Deletes a module (any etag). */
  removeModule(deviceId, moduleId, done) {
    return withHttpResponse(done, async () => { await this._native.deleteModule(deviceId, moduleId); }, 204);
  }

  /** A query over twins, `pageSize` items per page. */
  createQuery(sqlQuery, pageSize) {
    requireString('sqlQuery', sqlQuery);
    return new Query(this, sqlQuery, pageSize);
  }
}

function plain(twin) {
  return twin instanceof Twin ? twin.toJSON() : twin;
}

Object.assign(Registry.prototype, require('./configurations').configurationMethods);

module.exports = { Registry, Twin, Query };
