'use strict';
// Names of the official SDKs outside device twins. They exist so that code using them fails at
// once with an error saying what iothub-twin covers and which official package does the rest,
// instead of a TypeError ("is not a function") or, worse, silently doing nothing.

const { facadeError } = require('./errors');

const DEVICE = {
  telemetry: ['sendEvent', 'sendEventBatch', 'sendOutputEvent', 'sendOutputEventBatch'],
  'direct methods': ['onDeviceMethod', 'onMethod', 'invokeMethod'],
  'cloud-to-device messages': ['complete', 'reject', 'abandon'],
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

/** A class whose construction and static calls fail for `name` (`Message`, `DeviceMethodResponse`, …). */
function refusedClass(name, what, pkg) {
  const cls = { [name]: class {
    constructor() {
      throw outOfScopeError(name, what, pkg);
    }
  } }[name];
  return cls;
}

const EXPORTS = {
  Message: refusedClass('Message', 'telemetry', 'azure-iot-device'),
  DeviceMethodRequest: refusedClass('DeviceMethodRequest', 'direct methods', 'azure-iot-device'),
  DeviceMethodResponse: refusedClass('DeviceMethodResponse', 'direct methods', 'azure-iot-device'),
  Amqp: refusedClass('Amqp', 'cloud-to-device messages', 'azure-iothub'),
  AmqpWs: refusedClass('AmqpWs', 'cloud-to-device messages', 'azure-iothub'),
  IotEdgeAuthenticationProvider: refusedClass('IotEdgeAuthenticationProvider', 'the IoT Edge environment', 'azure-iot-device'),
};

module.exports = { addDeviceNames, outOfScopeError, EXPORTS };
