"""The official Python service SDK's automatic device configurations (azure-iot-hub's
IoTHubConfigurationManager) and registry statistics against the emulator.

Two overlapping configurations (a plant-wide telemetry interval, a higher-priority one for a
test ring) are created, applied by the emulator's periodic run (`--configuration-interval`
100ms here), and read back with their metrics; then query checks, an immutable-field update,
a stale etag, deletion and the registry statistics. The emulator is this module's own (its CA
goes in REQUESTS_CA_BUNDLE while the module runs, through conftest's `trusting`).
"""

import time
import uuid

import pytest
from azure.iot.hub import IoTHubConfigurationManager, IoTHubRegistryManager
from azure.iot.hub.models import (
    Configuration,
    ConfigurationContent,
    ConfigurationMetrics,
    ConfigurationQueriesTestInput,
    QuerySpecification,
)

from conftest import start_emulator, stop_emulator, trusting
from test_service_flow import expect_status


@pytest.fixture(scope="module")
def fast_emulator():
    emu = start_emulator("python-configurations", https_port=0, extra_args=("--configuration-interval", "100ms"))
    try:
        with trusting(emu):
            yield emu
    finally:
        stop_emulator(emu)


def wait_for(what, check, timeout=10.0):
    """Polls `check` until truthy (the emulator applies on its own clock); bounded."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_configurations_are_applied_by_priority_and_report_metrics(fast_emulator):
    cs = fast_emulator.connection_string
    registry = IoTHubRegistryManager.from_connection_string(cs)
    configurations = IoTHubConfigurationManager.from_connection_string(cs)
    plant = f"plant{uuid.uuid4().hex[:6]}"
    devices = {}
    for ring in ("prod", "test"):
        device_id = f"cfg-{ring}-{uuid.uuid4().hex[:8]}"
        registry.create_device_with_sas(device_id, None, None, "enabled")
        twin = registry.get_twin(device_id)
        twin.tags = {"plant": plant, "ring": ring}
        registry.update_twin(device_id, twin, twin.etag)
        devices[ring] = device_id
    wide = Configuration(
        id=f"{plant}-wide",
        target_condition=f"tags.plant = '{plant}'",
        content=ConfigurationContent(device_content={"properties.desired.telemetry": {"interval": 60}}),
        priority=1,
        metrics=ConfigurationMetrics(
            queries={"atSixty": "SELECT deviceId FROM devices WHERE properties.reported.telemetry.interval = 60"}
        ),
    )
    created = configurations.create_configuration(wide)
    assert created.id == wide.id and created.etag
    ring = Configuration(
        id=f"{plant}-test",
        target_condition=f"tags.plant = '{plant}' AND tags.ring = 'test'",
        content=ConfigurationContent(device_content={"properties.desired.telemetry.interval": 5}),
        priority=10,
    )
    configurations.create_configuration(ring)
    expect_status(lambda: configurations.create_configuration(wide), 409)

    # azure-iot-hub's Twin model has no `configurations`: the statuses are read by a query.
    applied = f"SELECT deviceId FROM devices WHERE configurations.[[{ring.id}]].status = 'Applied'"
    rows = wait_for("the test ring applied", lambda: registry.query_iot_hub(QuerySpecification(query=applied)).items)
    assert [row.device_id for row in rows] == [devices["test"]]
    wait_for("the plant-wide content applied", lambda: registry.get_twin(devices["prod"]).properties.desired.get("telemetry"))
    assert registry.get_twin(devices["prod"]).properties.desired["telemetry"]["interval"] == 60
    assert registry.get_twin(devices["test"]).properties.desired["telemetry"]["interval"] == 5

    read = configurations.get_configuration(wide.id)
    assert read.system_metrics.results == {"targetedCount": 2, "appliedCount": 2}
    assert read.metrics.results == {"atSixty": 0}
    assert {c.id for c in configurations.get_configurations(max_count=10)} >= {wide.id, ring.id}

    read.priority = 20
    expect_status(lambda: configurations.update_configuration(read, '"Mg=="'), 412)
    updated = configurations.update_configuration(read, read.etag)
    assert updated.priority == 20
    updated.target_condition = "tags.plant = 'elsewhere'"
    expect_status(lambda: configurations.update_configuration(updated, "*"), 400)

    result = configurations.test_configuration_queries(
        ConfigurationQueriesTestInput(
            target_condition="tags.plant = ",
            custom_metric_queries={"good": "SELECT deviceId FROM devices", "bad": "SELECT FROM"},
        )
    )
    assert result.target_condition_error
    assert set(result.custom_metric_query_errors) == {"bad"}

    configurations.delete_configuration(wide.id, updated.etag)
    configurations.delete_configuration(ring.id)
    expect_status(lambda: configurations.get_configuration(wide.id), 404)


def test_registry_statistics(fast_emulator):
    registry = IoTHubRegistryManager.from_connection_string(fast_emulator.connection_string)
    before = registry.get_device_registry_statistics()
    registry.create_device_with_sas(f"stat-{uuid.uuid4().hex[:8]}", None, None, "disabled")
    after = registry.get_device_registry_statistics()
    assert after.total_device_count == before.total_device_count + 1
    assert after.disabled_device_count == before.disabled_device_count + 1
    assert after.enabled_device_count == before.enabled_device_count
    assert registry.get_service_statistics().connected_device_count == 0
