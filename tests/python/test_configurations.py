"""IoTHubConfigurationManager and the registry statistics, sync and aio (every test runs with
both), against the emulator."""

from __future__ import annotations

import secrets

import pytest

import iothub_twin
import iothub_twin.aio
from helpers import AioAsSync
from iothub_twin.exceptions import NotFoundError, PreconditionFailedError, ServiceError
from iothub_twin.models import (
    Configuration,
    ConfigurationContent,
    ConfigurationMetrics,
    ConfigurationQueriesTestInput,
    RegistryStatistics,
)


@pytest.fixture(params=["sync", "aio"])
def kind(request):
    return request.param


def managers(hub, kind):
    package = iothub_twin if kind == "sync" else iothub_twin.aio
    configurations = package.IoTHubConfigurationManager.from_connection_string(
        hub.service_cs, server_verification_cert=hub.ca_pem
    )
    registry = package.IoTHubRegistryManager.from_connection_string(
        hub.service_cs, server_verification_cert=hub.ca_pem
    )
    if kind == "aio":
        return AioAsSync(configurations), AioAsSync(registry)
    return configurations, registry


def tagged_devices(hub, registry, plant, rings):
    ids = []
    for ring in rings:
        device_id, _ = hub.new_device("cfg")
        twin = registry.get_twin(device_id)
        registry.update_twin(device_id, {"tags": {"plant": plant, "ring": ring}}, twin.etag)
        ids.append(device_id)
    return ids


def test_overlapping_configurations_apply_by_priority_with_metrics(hub, kind):
    configurations, registry = managers(hub, kind)
    plant = f"p{secrets.token_hex(3)}"
    prod, test = tagged_devices(hub, registry, plant, ["prod", "test"])
    wide_id, ring_id = f"wide-{plant}", f"ring-{plant}"
    wide = configurations.create_configuration(
        Configuration(
            id=wide_id,
            target_condition=f"tags.plant = '{plant}'",
            content=ConfigurationContent(device_content={"properties.desired.telemetry": {"interval": 60}}),
            priority=1,
            metrics=ConfigurationMetrics(
                queries={"slow": "SELECT deviceId FROM devices WHERE properties.reported.interval = 60"}
            ),
        )
    )
    assert wide.schema_version == "1.0" and wide.etag == "MQ=="
    configurations.create_configuration(
        {
            "id": ring_id,
            "targetCondition": f"tags.plant = '{plant}' AND tags.ring = 'test'",
            "content": {"deviceContent": {"properties.desired.telemetry.interval": 5}},
            "priority": 10,
        }
    )
    with pytest.raises(ServiceError) as exists:
        configurations.create_configuration(Configuration(id=wide_id, content=wide.content))
    assert exists.value.error_code == "ConfigurationAlreadyExists"

    assert hub.control("POST", "/emulator/configurations/apply") == 200
    assert registry.get_twin(prod).properties.desired["telemetry"]["interval"] == 60
    assert registry.get_twin(test).properties.desired["telemetry"]["interval"] == 5
    read = configurations.get_configuration(wide_id)
    assert read.system_metrics.results == {"targetedCount": 2, "appliedCount": 2}
    assert read.metrics.results == {"slow": 0}
    listed = [c.id for c in configurations.get_configurations(max_count=20)]
    assert wide_id in listed and ring_id in listed

    read.priority = 20
    with pytest.raises(PreconditionFailedError):
        configurations.update_configuration(read, "Mg==")
    updated = configurations.update_configuration(read, read.etag)
    assert updated.priority == 20 and updated.etag == "Mg=="
    updated.target_condition = "tags.plant = 'elsewhere'"
    with pytest.raises(ServiceError) as immutable:
        configurations.update_configuration(updated, "*")
    assert immutable.value.error_code == "ArgumentInvalid"

    configurations.delete_configuration(wide_id, "Mg==")
    configurations.delete_configuration(ring_id)
    with pytest.raises(NotFoundError):
        configurations.get_configuration(wide_id)


def test_queries_are_checked_and_statistics_count_devices(hub, kind):
    configurations, registry = managers(hub, kind)
    result = configurations.test_configuration_queries(
        ConfigurationQueriesTestInput(
            target_condition="tags.plant = ", custom_metric_queries={"bad": "SELECT FROM", "good": "SELECT * FROM devices"}
        )
    )
    assert "syntax error" in result.target_condition_error
    assert list(result.custom_metric_query_errors) == ["bad"]
    with pytest.raises(ServiceError) as invalid:
        configurations.create_configuration(
            Configuration(
                id=f"bad-{secrets.token_hex(3)}",
                target_condition="tags.plant = ",
                content=ConfigurationContent(device_content={"properties.desired.x": 1}),
            )
        )
    assert invalid.value.error_code == "ArgumentInvalid"

    before = registry.get_device_registry_statistics()
    assert isinstance(before, RegistryStatistics)
    hub.new_device("stat")
    after = registry.get_device_registry_statistics()
    assert after.total_device_count == before.total_device_count + 1
    assert after.enabled_device_count == before.enabled_device_count + 1
    assert after.disabled_device_count == before.disabled_device_count
    connected = registry.get_service_statistics().connected_device_count
    _, cs = hub.new_device("online")
    device = iothub_twin.IoTHubDeviceClient.create_from_connection_string(cs, server_verification_cert=hub.ca_pem)
    device.connect()
    try:
        assert registry.get_service_statistics().connected_device_count == connected + 1
    finally:
        device.shutdown()
