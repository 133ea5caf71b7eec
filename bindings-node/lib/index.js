'use strict';
// iothub-twin for Node: the official SDKs' device-twin API (azure-iot-device `Client`/`Twin`,
// azure-iot-device-mqtt `Mqtt`/`MqttWs`, azure-iothub `Registry`/`Twin`/`Query`) over a Rust
// core. Guides written for the official SDKs run with only their `require` lines changed.

const { Client, Twin: DeviceTwin, Mqtt, MqttWs } = require('./device');
const { Registry, Twin, Query } = require('./service');
const { JobClient } = require('./job_client');
const { errors } = require('./errors');
const { ModuleClient } = require('./module_client');
const { SharedAccessSignature, ServiceSharedAccessSignature, ConnectionString } = require('./shared_access_signature');
const { addDeviceNames, addRefusedExports } = require('./out_of_scope');
const { addTwinNames, addRetryPolicy, getUserAgentString, versionQueryString } = require('./small_names');
const { Device } = require('./device_model');
const providers = require('./authentication_providers');

const { addFromAuthenticationProvider } = providers;

addDeviceNames(Client);
addFromAuthenticationProvider(Client);
addTwinNames(DeviceTwin);
addRetryPolicy(Client, DeviceTwin);

/** azure-iot-device-mqtt's shortcut: a Client over MQTT for a connection string. */
function clientFromConnectionString(connStr) {
  return Client.fromConnectionString(connStr, Mqtt);
}

module.exports = addRefusedExports({
  Client, DeviceTwin, Mqtt, MqttWs, Registry, Twin, Query, JobClient, errors,
  ModuleClient, Device, clientFromConnectionString, getUserAgentString, versionQueryString,
  SharedAccessSignature, ServiceSharedAccessSignature, ConnectionString,
  SharedAccessKeyAuthenticationProvider: providers.SharedAccessKeyAuthenticationProvider,
  SharedAccessSignatureAuthenticationProvider: providers.SharedAccessSignatureAuthenticationProvider,
  X509AuthenticationProvider: providers.X509AuthenticationProvider,
});
