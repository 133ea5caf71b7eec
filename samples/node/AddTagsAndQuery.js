'use strict';
// The back-end app of Microsoft's "Get started with device twins (Node.js)" guide, unchanged
// except for the `require` line (azure-iothub -> iothub-twin) and the connection string, read
// from the environment or the command line instead of being pasted in.
//
//   IOTHUB_CONNECTION_STRING='HostName=...;SharedAccessKeyName=iothubowner;SharedAccessKey=...' \
//     node AddTagsAndQuery.js
//
// Against the local emulator, trust its CA the way Node itself is told to:
// NODE_EXTRA_CA_CERTS=/path/to/ca.pem.

var iothub = require('iothub-twin');
var connectionString = process.env.IOTHUB_CONNECTION_STRING || process.argv[2];
var registry = iothub.Registry.fromConnectionString(connectionString);

registry.getTwin('myDeviceId', function(err, twin){
    if (err) {
        console.error(err.constructor.name + ': ' + err.message);
    } else {
        var patch = {
            tags: {
                location: {
                    region: 'US',
                    plant: 'Redmond43'
              }
            }
        };

        twin.update(patch, function(err) {
          if (err) {
            console.error('Could not update twin: ' + err.constructor.name + ': ' + err.message);
          } else {
            console.log(twin.deviceId + ' twin updated successfully');
            queryTwins();
          }
        });
    }
});

var queryTwins = function() {
    var query = registry.createQuery("SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'", 100);
    query.nextAsTwin(function(err, results) {
        if (err) {
            console.error('Failed to fetch the results: ' + err.message);
        } else {
            console.log("Devices in Redmond43: " + results.map(function(twin) {return twin.deviceId}).join(','));
        }
    });

    query = registry.createQuery("SELECT * FROM devices WHERE tags.location.plant = 'Redmond43' AND properties.reported.connectivity.type = 'cellular'", 100);
    query.nextAsTwin(function(err, results) {
        if (err) {
            console.error('Failed to fetch the results: ' + err.message);
        } else {
            console.log("Devices in Redmond43 using cellular network: " + results.map(function(twin) {return twin.deviceId}).join(','));
        }
    });
};
