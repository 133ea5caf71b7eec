'use strict';
// The device app of Microsoft's "Get started with device twins (Node.js)" guide, unchanged
// except for the two `require` lines (azure-iot-device -> iothub-twin,
// azure-iot-device-mqtt -> iothub-twin) and the connection string, read from the environment
// or the command line instead of being pasted in.
//
//   IOTHUB_DEVICE_CONNECTION_STRING='HostName=...;DeviceId=myDeviceId;SharedAccessKey=...' \
//     node ReportConnectivity.js
//
// Against the local emulator, trust its CA the way Node itself is told to:
// NODE_EXTRA_CA_CERTS=/path/to/ca.pem.

var Client = require('iothub-twin').Client;
var Protocol = require('iothub-twin').Mqtt;

var connectionString = process.env.IOTHUB_DEVICE_CONNECTION_STRING || process.argv[2];
var client = Client.fromConnectionString(connectionString, Protocol);

client.open(function(err) {
if (err) {
    console.error('could not open IotHub client');
}  else {
    console.log('client opened');

    client.getTwin(function(err, twin) {
    if (err) {
        console.error('could not get twin');
    } else {
        var patch = {
            connectivity: {
                type: 'cellular'
            }
        };

        twin.properties.reported.update(patch, function(err) {
            if (err) {
                console.error('could not update twin');
            } else {
                console.log('twin state reported');
                process.exit();
            }
        });
    }
    });
}
});
