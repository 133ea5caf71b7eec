'use strict';
// azure-iothub's `Registry` configuration and statistics calls: `addConfiguration`,
// `getConfiguration`, `getConfigurations`, `updateConfiguration`, `removeConfiguration`,
// `getRegistryStatistics`, over the native ServiceClient. Argument checks are the official
// SDK's (ReferenceError / ArgumentError, thrown when a callback is given, a rejected Promise
// otherwise); everything else is the core's. `applyConfigurationContentOnDevice` (IoT Edge
// modules content) is outside the twin scope: it throws ERR_OUT_OF_SCOPE at once.

const { callbackOrPromise } = require('./callbacks');
const { argumentError } = require('./errors');
const { outOfScopeError } = require('./out_of_scope');

/** `callbackOrPromise` with the Registry's answer shapes, after the official SDK's checks. */
function registryCall(done, check, work, statusCode = 200) {
  try {
    check();
  } catch (err) {
    if (typeof done === 'function') throw err;
    return Promise.reject(err);
  }
  return callbackOrPromise(
    done,
    work,
    (result) => [result, { statusCode }],
    (result) => ({ responseBody: result, httpResponse: { statusCode } }),
  );
}

const configurationMethods = {
  /** Creates an automatic device configuration (`schemaVersion` '1.0' when left out). */
  addConfiguration(configuration, done) {
    return registryCall(done, () => {
      if (!configuration) throw new ReferenceError('configuration cannot be falsy');
      if (!configuration.id) throw argumentError('configuration object is missing id property');
    }, () => this._native.createConfiguration(configuration));
  },

  /** A configuration, its metrics evaluated by the hub. */
  getConfiguration(configurationId, done) {
    return registryCall(done, () => {
      if (!configurationId) throw new ReferenceError("Argument 'configurationId' cannot be falsy");
    }, () => this._native.getConfiguration(configurationId));
  },

  /** The hub's configurations. */
  getConfigurations(done) {
    return registryCall(done, () => {}, () => this._native.getConfigurations());
  },

  /**
   * Updates a configuration's labels, metrics or priority: if its `etag` still holds, or
   * whatever the etag with `forceUpdate`.
   */
  updateConfiguration(configuration, forceUpdateOrDone, done) {
    let forceUpdate = forceUpdateOrDone;
    if (typeof forceUpdateOrDone === 'function') [forceUpdate, done] = [false, forceUpdateOrDone];
    return registryCall(done, () => {
      if (!configuration) throw new ReferenceError("Argument 'configuration' cannot be falsy");
      if (!forceUpdate && !configuration.etag) {
        throw argumentError('The ETag should be set while updating the Configuration.');
      }
      if (!configuration.id) throw argumentError('configuration object is missing id property');
    }, () => this._native.updateConfiguration(configuration, forceUpdate ? '*' : configuration.etag));
  },

  /** Deletes a configuration (any etag); the desired values it applied stay on the twins. */
  removeConfiguration(configurationId, done) {
    return registryCall(done, () => {
      if (!configurationId) throw new ReferenceError("Argument 'configurationId' cannot be falsy");
    }, async () => { await this._native.deleteConfiguration(configurationId); }, 204);
  },

  /** IoT Edge modules content: outside the twin scope (the official azure-iothub has it). */
  applyConfigurationContentOnDevice() {
    throw outOfScopeError('Registry.applyConfigurationContentOnDevice', 'the IoT Edge environment', 'azure-iothub');
  },

  /** `{ totalDeviceCount, enabledDeviceCount, disabledDeviceCount }`. */
  getRegistryStatistics(done) {
    return registryCall(done, () => {}, () => this._native.getDeviceRegistryStatistics());
  },
};

module.exports = { configurationMethods };
