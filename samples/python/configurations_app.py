# Automatic device configurations with iothub_twin (the azure-iot-hub names): a plant-wide
# telemetry interval and a higher-priority one for a test ring overlap on one device; each
# device reads the desired values that won, and the back end reads the metrics.
#
#   python samples/python/configurations_app.py SERVICE_CS PROD_DEVICE_CS TEST_DEVICE_CS PREFIX
#
# Against the emulator, trust its CA with REQUESTS_CA_BUNDLE / SSL_CERT_FILE; the emulator
# applies configurations every --configuration-interval.
import sys
import time

from iothub_twin import IoTHubConfigurationManager, IoTHubDeviceClient, IoTHubRegistryManager
from iothub_twin.models import Configuration, ConfigurationContent, ConfigurationMetrics

SERVICE_CS, PROD_CS, TEST_CS, PREFIX = sys.argv[1:5]


def device_id(cs):
    return dict(part.split("=", 1) for part in cs.split(";"))["DeviceId"]


registry = IoTHubRegistryManager.from_connection_string(SERVICE_CS)
configurations = IoTHubConfigurationManager.from_connection_string(SERVICE_CS)
plant = f"{PREFIX}-north"
for cs, ring in ((PROD_CS, "prod"), (TEST_CS, "test")):
    twin = registry.get_twin(device_id(cs))
    registry.update_twin(device_id(cs), {"tags": {"plant": plant, "ring": ring}}, twin.etag)

plant_wide = configurations.create_configuration(Configuration(
    id=f"{PREFIX}-plant-wide",
    target_condition=f"tags.plant = '{plant}'",
    content=ConfigurationContent(device_content={"properties.desired.telemetry": {"interval": 60, "unit": "s"}}),
    priority=1,
    metrics=ConfigurationMetrics(queries={
        "reportingSixty": f"SELECT deviceId FROM devices WHERE tags.plant = '{plant}' "
                          "AND properties.reported.telemetry.interval = 60"}),
))
test_ring = configurations.create_configuration(Configuration(
    id=f"{PREFIX}-test-ring",
    target_condition=f"tags.plant = '{plant}' AND tags.ring = 'test'",
    content=ConfigurationContent(device_content={"properties.desired.telemetry.interval": 5}),
    priority=10,
))
print(f"created {plant_wide.id} (priority {plant_wide.priority}) and {test_ring.id} (priority {test_ring.priority})")

# The hub applies configurations on its own schedule: wait until both are applied everywhere.
deadline = time.monotonic() + 30
while (configurations.get_configuration(plant_wide.id).system_metrics.results["appliedCount"] < 2
       or configurations.get_configuration(test_ring.id).system_metrics.results["appliedCount"] < 1):
    if time.monotonic() > deadline:
        raise SystemExit("the configurations were not applied within 30 s")
    time.sleep(0.2)

for cs in (PROD_CS, TEST_CS):
    client = IoTHubDeviceClient.create_from_connection_string(cs)
    client.connect()
    telemetry = client.get_twin()["desired"]["telemetry"]
    client.patch_twin_reported_properties({"telemetry": telemetry})
    print(f"[device {device_id(cs)}] desired telemetry {telemetry}")
    client.shutdown()

for configuration_id in (plant_wide.id, test_ring.id):
    configuration = configurations.get_configuration(configuration_id)
    print(f"{configuration_id}: system metrics {configuration.system_metrics.results}, "
          f"custom metrics {configuration.metrics.results}")
statistics = registry.get_device_registry_statistics()
print(f"registry: {statistics.total_device_count} devices, {statistics.enabled_device_count} enabled")
