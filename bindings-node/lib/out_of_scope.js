'use strict';
// Names of the official SDKs outside device twins. They exist so that code using them fails at
// once with an error saying what iothub-twin covers and which official package does the rest,
// instead of a TypeError ("is not a function") or, worse, silently doing nothing.

const { facadeError } = require('./errors');

const DEVICE = {
  telemetry: ['sendEvent', 'sendEventBatch', 'sendOutputEvent', 'sendOutputEventBatch'],
  'direct methods': ['onDeviceMethod', 'onMethod', 'invokeMethod'],
  'cloud-to-device messages': ['complete', 'reject', 'abandon', 'setTransportOptions'],
  'file upload': ['uploadToBlob', 'getBlobSharedAccessSignature', 'notifyBlobUploadStatus'],
};

function outOfScopeError(name, what, pkg) {
  return facadeError('NotImplementedError', 'ERR_OUT_OF_SCOPE',
    `${name} is ${what}, which iothub-twin does not cover: iothub-twin covers device twins only; use the official ${pkg} package for ${what}`);
}

/** A function that throws for `name` at once (with or without a callback). */
function refuse(name, what, pkg) {
  return function outOfScope() {
    throw outOfScopeError(name, what, pkg);
  };
}

/** Adds the device clients' out-of-scope methods to `cls.prototype`. */
function addDeviceNames(cls) {
  for (const [what, names] of Object.entries(DEVICE)) {
    for (const name of names) {
      Object.defineProperty(cls.prototype, name, { value: refuse(`Client.${name}`, what, 'azure-iot-device'), configurable: true, writable: true });
    }
  }
  return cls;
}

const EXPORTS = {
  Message: 'telemetry',
  DeviceMethodRequest: 'direct methods',
  DeviceMethodResponse: 'direct methods',
  Amqp: 'cloud-to-device messages',
  AmqpWs: 'cloud-to-device messages',
  IotEdgeAuthenticationProvider: 'the IoT Edge environment',
};

/**
 * Adds the out-of-scope exports to `target` as non-enumerable getters that throw, so
 * `const { Message } = require('iothub-twin')` fails at the import itself while spreading or
 * listing the module's exports does not.
 */
function addRefusedExports(target) {
  for (const [name, what] of Object.entries(EXPORTS)) {
    const pkg = name.startsWith('Amqp') ? 'azure-iothub' : 'azure-iot-device';
    Object.defineProperty(target, name, {
      enumerable: false,
      get() {
        throw outOfScopeError(name, what, pkg);
      },
    });
  }
  return target;
}

module.exports = { addDeviceNames, addRefusedExports, outOfScopeError };
