'use strict';
// Error classes with the official SDK's names (azure-iot-common `errors.js`). The native module
// sets every property of its errors (`name`, `code`, `statusCode`, `errorCode`, `trackingId`,
// from the core's one error table); here they only get the prototype of their class, so that
// `instanceof` matches the official SDK.

const NAMES = [
  'ArgumentError', 'BadDeviceResponseError', 'DeviceAlreadyExistsError',
  'DeviceMaximumQueueDepthExceededError', 'DeviceNotFoundError', 'DeviceTimeoutError', 'FormatError',
  'GatewayTimeoutError', 'InternalServerError', 'InvalidEtagError', 'InvalidOperationError',
  'IotHubNotFoundError', 'IotHubQuotaExceededError', 'MessageTooLargeError', 'NotConnectedError',
  'NotImplementedError', 'PreconditionFailedError', 'ServiceUnavailableError', 'ThrottlingError',
  'TimeoutError', 'TooManyDevicesError', 'UnauthorizedError',
];

const errors = {};
for (const name of NAMES) {
  // A named class per official error, each a plain Error subclass as in azure-iot-common.
  errors[name] = { [name]: class extends Error {
    constructor(message) {
      super(message);
      this.name = name;
    }
  } }[name];
}

/** A native error with its class's prototype (others pass through unchanged). */
function fromNative(err) {
  if (err instanceof Error && typeof err.code === 'string' && errors[err.name] && !(err instanceof errors[err.name])) {
    Object.setPrototypeOf(err, errors[err.name].prototype);
  }
  return err;
}

/** An error of class `name` with stable `code`, for failures the facade itself reports. */
function facadeError(name, code, message) {
  const err = new (errors[name] || Error)(message);
  err.code = code;
  return err;
}

/** An ArgumentError with code ERR_INVALID_ARGUMENT, for the facade's own argument checks. */
function argumentError(message) {
  return facadeError('ArgumentError', 'ERR_INVALID_ARGUMENT', message);
}

module.exports = { errors, fromNative, facadeError, argumentError };
