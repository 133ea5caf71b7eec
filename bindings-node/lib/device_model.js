'use strict';
// azure-iothub's deprecated `Device` model (the Registry takes plain objects too): the official
// defaults, with the given description deep-merged over them, as lodash's `merge` does there.

const { argumentError } = require('./errors');

function mergeInto(target, source) {
  for (const [key, value] of Object.entries(source)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && target[key] && typeof target[key] === 'object') {
      mergeInto(target[key], value);
    } else if (value !== undefined) {
      target[key] = value;
    }
  }
  return target;
}

class Device {
  constructor(jsonData) {
    this.deviceId = null;
    this.generationId = null;
    this.etag = null;
    this.connectionState = 'disconnected';
    this.status = 'enabled';
    this.statusReason = null;
    this.connectionStateUpdatedTime = null;
    this.statusUpdatedTime = null;
    this.lastActivityTime = null;
    this.cloudToDeviceMessageCount = '0';
    this.capabilities = {};
    this.authentication = {
      symmetricKey: { primaryKey: null, secondaryKey: null },
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
    };
    if (jsonData) {
      const description = typeof jsonData === 'string' ? JSON.parse(jsonData) : jsonData;
      if (!description.deviceId) throw new ReferenceError(`The 'deviceId' property cannot be '${description.deviceId}'`);
      mergeInto(this, description);
    }
  }
}

/**
 * `setRetryPolicy(policy)` as azure-iot-device checks it (ReferenceError without a policy,
 * ArgumentError without `shouldRetry` / `nextRetryTimeout`). The core's exponential backoff
 * is kept (deliberately: the official policies retry operations, ours reconnects with backoff
 * and deadlines), except that a policy that never retries (`NoRetry`: `nextRetryTimeout`
 * returns -1) turns reconnecting off, as it does there.
 */
function checkedRetryPolicy(policy) {
  if (!policy) throw new ReferenceError(`'policy' cannot be '${policy}'`);
  if (typeof policy.shouldRetry !== 'function' || typeof policy.nextRetryTimeout !== 'function') {
    throw argumentError('A policy object must have a shouldRetry and a nextRetryTimeout method.');
  }
  return { connectionRetry: policy.nextRetryTimeout(0, false) !== -1 };
}

module.exports = { Device, checkedRetryPolicy };
