'use strict';
// azure-iot-device's and azure-iothub's `SharedAccessSignature` and `ConnectionString`: tokens
// are made and read by the core (one signer and parser for every language); the objects have
// the official fields (`sr`, `sig`, `se`, `skn`) and `toString()` gives the token.

const native = require('../index.js');
const { argumentError } = require('./errors');

class SharedAccessSignature {
  constructor(fields) {
    this.sr = fields.sr;
    this.sig = fields.sig;
    this.se = fields.se;
    if (fields.skn) this.skn = fields.skn;
    Object.defineProperty(this, '_token', { value: fields.token, enumerable: false });
  }

  /** A device token for `host`/devices/`deviceId`, signed with the device `key`, expiring at `expiry` (Unix s). */
  static create(host, deviceId, key, expiry) {
    return nativeCall(() => native.deviceSharedAccessSignature(host, deviceId, key, expiry));
  }

  /** The token's fields; an ArgumentError when it is not a SAS token. */
  static parse(source) {
    return nativeCall(() => native.parseSharedAccessSignature(source));
  }

  toString() {
    return this._token;
  }
}

/** azure-iothub's service `SharedAccessSignature`: `create(host, policy, key, expiry)`. */
class ServiceSharedAccessSignature extends SharedAccessSignature {
  static create(host, policy, key, expiry) {
    return nativeCall(() => native.serviceSharedAccessSignature(host, policy, key, expiry), ServiceSharedAccessSignature);
  }

  static parse(source) {
    return nativeCall(() => native.parseSharedAccessSignature(source), ServiceSharedAccessSignature);
  }
}

function nativeCall(make, cls = SharedAccessSignature) {
  try {
    return new cls(make());
  } catch (err) {
    throw argumentError(err.message);
  }
}

/**
 * azure-iot-common's `ConnectionString`: `parse(text, requiredFields)` splits `Name=value;…`
 * (a value may hold `=`), throwing an ArgumentError when a required field is missing, as the
 * official one does; it checks nothing else (the core checks a connection string when a
 * client is made from it).
 */
const ConnectionString = {
  parse(source, requiredFields = []) {
    if (typeof source !== 'string') throw argumentError('source must be a string');
    const result = {};
    for (const part of source.split(';')) {
      const at = part.indexOf('=');
      if (at > 0) result[part.slice(0, at)] = part.slice(at + 1);
    }
    for (const field of requiredFields) {
      if (result[field] === undefined) throw argumentError(`The connection string is missing the property: ${field}`);
    }
    return result;
  },
  /** `HostName=…;DeviceId=…;SharedAccessKey=…`, as azure-iot-device. */
  createWithSharedAccessKey(hostName, deviceId, symmetricKey) {
    return `HostName=${hostName};DeviceId=${deviceId};SharedAccessKey=${symmetricKey}`;
  },
  /** `HostName=…;DeviceId=…;x509=true`, as azure-iot-device. */
  createWithX509Certificate(hostName, deviceId) {
    return `HostName=${hostName};DeviceId=${deviceId};x509=true`;
  },
};

module.exports = { SharedAccessSignature, ServiceSharedAccessSignature, ConnectionString };
