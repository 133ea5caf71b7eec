'use strict';
// azure-iot-device's authentication providers, for code that builds a client with
// `Client.fromAuthenticationProvider`. Each only holds what the core connects with (a
// connection string, a SAS token, or x509 options); the core signs, renews and checks.

const { argumentError } = require('./errors');

class SharedAccessKeyAuthenticationProvider {
  constructor(connectionString, tokenValidTimeInSeconds, tokenRenewalMarginInSeconds) {
    this._credential = { connectionString };
    this._options = {};
    this.setTokenRenewalValues(tokenValidTimeInSeconds, tokenRenewalMarginInSeconds);
  }

  /** The token lifetime (the core renews at 80 % of it rather than at the margin). */
  setTokenRenewalValues(tokenValidTimeInSeconds) {
    if (tokenValidTimeInSeconds !== undefined) this._options.sasTokenTtlSecs = Number(tokenValidTimeInSeconds);
  }

  static fromConnectionString(connectionString, tokenValidTimeInSeconds, tokenRenewalMarginInSeconds) {
    if (typeof connectionString !== 'string' || connectionString === '') throw argumentError('connectionString must be a non-empty string');
    return new SharedAccessKeyAuthenticationProvider(connectionString, tokenValidTimeInSeconds, tokenRenewalMarginInSeconds);
  }
}

class SharedAccessSignatureAuthenticationProvider {
  constructor(sharedAccessSignature) {
    this._credential = { sharedAccessSignature };
    this._options = {};
  }

  /** The token the next client made from this provider connects with. */
  updateSharedAccessSignature(sharedAccessSignature) {
    this._credential = { sharedAccessSignature };
  }

  static fromSharedAccessSignature(sharedAccessSignature) {
    if (typeof sharedAccessSignature !== 'string' || sharedAccessSignature === '') throw argumentError('sharedAccessSignature must be a non-empty string');
    return new SharedAccessSignatureAuthenticationProvider(sharedAccessSignature);
  }
}

class X509AuthenticationProvider {
  constructor(deviceId, iotHubHostname, x509info) {
    this._credential = { connectionString: `HostName=${iotHubHostname};DeviceId=${deviceId};x509=true` };
    this._options = { cert: x509info.cert, key: x509info.key, certFile: x509info.certFile, keyFile: x509info.keyFile, passphrase: x509info.passphrase };
    for (const name of Object.keys(this._options)) if (this._options[name] === undefined) delete this._options[name];
  }

  static fromX509Options(deviceId, iotHubHostname, x509info) {
    if (!x509info) throw argumentError('x509info is required');
    return new X509AuthenticationProvider(deviceId, iotHubHostname, x509info);
  }
}

/** Adds `fromAuthenticationProvider` to a client class (Client, ModuleClient). */
function addFromAuthenticationProvider(ClientClass) {
  ClientClass.fromAuthenticationProvider = function fromAuthenticationProvider(authenticationProvider, transportCtor) {
    if (!authenticationProvider || !authenticationProvider._credential) {
      throw argumentError('authenticationProvider must come from one of iothub-twin\'s authentication providers');
    }
    const client = new this(authenticationProvider._credential, transportCtor);
    client._applyOptions(authenticationProvider._options);
    return client;
  };
}

module.exports = {
  SharedAccessKeyAuthenticationProvider,
  SharedAccessSignatureAuthenticationProvider,
  X509AuthenticationProvider,
  addFromAuthenticationProvider,
};
