# The back-end app of Microsoft's "Get started with device twins" guide (Python), with only the
# imports changed (azure.iot.hub -> iothub_twin) and the connection string and device id read
# from the environment / argv instead of being pasted in.
#
# Run against the emulator:  IOTHUB_CONNECTION_STRING=... DEVICE_ID=... \
#     REQUESTS_CA_BUNDLE=<emulator ca.pem> python samples/python/service_app.py
import os
import sys
from time import sleep
from iothub_twin import IoTHubRegistryManager
from iothub_twin.models import Twin, TwinProperties, QuerySpecification, QueryResult

IOTHUB_CONNECTION_STRING = sys.argv[1] if len(sys.argv) > 1 else os.environ["IOTHUB_CONNECTION_STRING"]
DEVICE_ID = sys.argv[2] if len(sys.argv) > 2 else os.environ["DEVICE_ID"]


def iothub_service_sample_run():
    try:
        iothub_registry_manager = IoTHubRegistryManager(IOTHUB_CONNECTION_STRING)

        new_tags = {
                'location' : {
                    'region' : 'US',
                    'plant' : 'Redmond43'
                }
            }

        twin = iothub_registry_manager.get_twin(DEVICE_ID)
        twin_patch = Twin(tags=new_tags, properties= TwinProperties(desired={'power_level' : 1}))
        twin = iothub_registry_manager.update_twin(DEVICE_ID, twin_patch, twin.etag)

        # Add a delay to account for any latency before executing the query
        sleep(1)

        query_spec = QuerySpecification(query="SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'")
        query_result = iothub_registry_manager.query_iot_hub(query_spec, None, 100)
        print("Devices in Redmond43 plant: {}".format(', '.join([twin.device_id for twin in query_result.items])))

        print()

        query_spec = QuerySpecification(query="SELECT * FROM devices WHERE tags.location.plant = 'Redmond43' AND properties.reported.connectivity = 'cellular'")
        query_result = iothub_registry_manager.query_iot_hub(query_spec, None, 100)
        print("Devices in Redmond43 plant using cellular network: {}".format(', '.join([twin.device_id for twin in query_result.items])))

    except Exception as ex:
        print("Unexpected error {0}".format(ex))
        return
    except KeyboardInterrupt:
        print("IoT Hub Device Twin service sample stopped")


if __name__ == '__main__':
    print("Starting the Python IoT Hub Device Twin service sample...")
    print()

    iothub_service_sample_run()
