'use strict';
// Error classes with the official SDK's names (azure-iot-common `errors.js`), and the decoding
// of the native module's errors into them.
//
// The native module (src/error.rs) prefixes each message with
// `[<code> <ErrorClassName> <httpStatus|-> <IoTHubErrorCode|->] `; here that becomes
// `err.code` (stable, e.g. ERR_NOT_FOUND), the class (so `err.name` and `instanceof` match the
// official SDK), `err.statusCode` and `err.errorCode` (e.g. 'DeviceNotFound').

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

const NATIVE_PREFIX = /^\[(ERR_[A-Z_]+) (\w+) (\d+|-) (\S+)\] /;

/** The facade's error for an error thrown by the native module (others pass through). */
function fromNative(err) {
  if (!(err instanceof Error)) return err;
  const match = NATIVE_PREFIX.exec(err.message);
  if (!match) return err;
  const [prefix, code, name, status, hubCode] = match;
  const ErrorClass = errors[name] || Error;
  const translated = new ErrorClass(err.message.slice(prefix.length));
  translated.code = code;
  if (status !== '-') translated.statusCode = Number(status);
  if (hubCode !== '-') translated.errorCode = hubCode;
  return translated;
}

/** An ArgumentError with code ERR_INVALID_ARGUMENT, for arguments the facade itself checks. */
function argumentError(message) {
  const err = new errors.ArgumentError(message);
  err.code = 'ERR_INVALID_ARGUMENT';
  return err;
}

module.exports = { errors, fromNative, argumentError };
