'use strict';
// iothub-twin for Node: the official SDKs' device-twin API (azure-iot-device `Client`/`Twin`,
// azure-iot-device-mqtt `Mqtt`/`MqttWs`, azure-iothub `Registry`/`Twin`/`Query`) over a Rust
// core. Guides written for the official SDKs run with only their `require` lines changed.

const { Client, Twin: DeviceTwin, Mqtt, MqttWs } = require('./device');
const { Registry, Twin, Query } = require('./service');
const { JobClient } = require('./job_client');
const { errors } = require('./errors');

module.exports = { Client, DeviceTwin, Mqtt, MqttWs, Registry, Twin, Query, JobClient, errors };
