'use strict';
// azure-iot-device's `ModuleClient` for module twins: the device client over a module identity
// (a connection string or SAS token naming the module). `fromEnvironment` (IoT Edge) is out of
// scope and says so.

const { Client } = require('./device');
const { addDeviceNames, outOfScopeError } = require('./out_of_scope');

/** A module twin client: `fromConnectionString(cs with ModuleId, Mqtt)`, then as `Client`. */
class ModuleClient extends Client {
  static fromEnvironment() {
    throw outOfScopeError('ModuleClient.fromEnvironment', 'the IoT Edge environment', 'azure-iot-device');
  }

  static validateEnvironment() {
    throw outOfScopeError('ModuleClient.validateEnvironment', 'the IoT Edge environment', 'azure-iot-device');
  }
}

addDeviceNames(ModuleClient);

module.exports = { ModuleClient };
