# The device app of Microsoft's "Get started with device twins" guide (Python), with only the
# import changed (azure.iot.device -> iothub_twin) and the connection string read from the
# environment / argv instead of being pasted in.
#
# Run against the emulator:  DEVICE_CONNECTION_STRING=... SSL_CERT_FILE=<emulator ca.pem> \
#     python samples/python/device_app.py
import os
import sys
import time
from iothub_twin import IoTHubDeviceClient

CONNECTION_STRING = sys.argv[1] if len(sys.argv) > 1 else os.environ["DEVICE_CONNECTION_STRING"]


def create_client():
    # Instantiate client
    client = IoTHubDeviceClient.create_from_connection_string(CONNECTION_STRING)

    # Define behavior for receiving twin desired property patches
    def twin_patch_handler(twin_patch):
        print("Twin patch received:")
        print(twin_patch)

    try:
        # Set handlers on the client
        client.on_twin_desired_properties_patch_received = twin_patch_handler
    except:
        # Clean up in the event of failure
        client.shutdown()

    return client


def main():
    print("Starting the Python IoT Hub Device Twin device sample...")
    client = create_client()
    print("IoTHubDeviceClient waiting for commands, press Ctrl-C to exit")

    try:
        # Update reported properties with cellular information
        print("Sending data as reported property...")
        reported_patch = {"connectivity": "cellular"}
        client.patch_twin_reported_properties(reported_patch)
        print("Reported properties updated")

        # Wait for program exit
        while True:
            time.sleep(1000000)
    except KeyboardInterrupt:
        print("IoT Hub Device Twin device sample stopped")
    finally:
        # Graceful exit
        print("Shutting down IoT Hub Client")
        client.shutdown()


if __name__ == '__main__':
    main()
