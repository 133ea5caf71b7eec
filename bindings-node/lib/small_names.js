'use strict';
// Small official names twin code touches: device `Twin.errorEvent` / `Twin.desiredPath` and
// `enableTwinDesiredPropertiesUpdates` (the core subscribes on every connection, so enabling
// only opens the client), azure-iothub's `versionQueryString`, azure-iot-device's
// `getUserAgentString`.

const native = require('../index.js');
const { callbackOrPromise } = require('./callbacks');
const { checkedRetryPolicy } = require('./device_model');
const { version } = require('../package.json');

/** The REST api-version the core speaks, as azure-iothub's `versionQueryString()`. */
function versionQueryString() {
  return `?api-version=${native.serviceApiVersion()}`;
}

/** `iothub-twin/<version> (<platform>)<productInfo>`, called back or resolved, as azure-iot-device. */
function getUserAgentString(productInfo, done) {
  if (typeof productInfo === 'function') [productInfo, done] = [undefined, productInfo];
  const platform = `node ${process.version}; ${process.platform}; ${process.arch}`;
  return callbackOrPromise(done, async () => `iothub-twin/${version} (${platform})${productInfo || ''}`);
}

/** `setRetryPolicy` on the device Client and Twin (see `checkedRetryPolicy`). */
function addRetryPolicy(Client, Twin) {
  Client.prototype.setRetryPolicy = function setRetryPolicy(policy) {
    this._options.connectionRetry = checkedRetryPolicy(policy).connectionRetry;
  };
  Twin.prototype.setRetryPolicy = function setRetryPolicy(policy) {
    this._client.setRetryPolicy(policy);
  };
}

function addTwinNames(Twin) {
  Twin.errorEvent = 'error';
  Twin.desiredPath = 'properties.desired';
  Twin.prototype.enableTwinDesiredPropertiesUpdates = function enableTwinDesiredPropertiesUpdates(done) {
    return callbackOrPromise(done, async () => { await this._client._open(); }, () => []);
  };
  return Twin;
}

module.exports = { versionQueryString, getUserAgentString, addTwinNames, addRetryPolicy };
