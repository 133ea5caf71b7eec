"""The official Python service SDK (azure-iot-hub 2.7.0) against the emulator.

The back-end part of the device-twin guides: create a device, get its twin, update tags
location = {region: US, plant: Redmond43} and desired power_level = 1 with the twin's etag,
fail with a stale etag (412), replace the twin, delete the device. Plus a duplicate create (409).
The emulator is started by the `emulator` fixture (conftest.py) on a free HTTPS port; the SDK is
pointed at it per spec/official-sdk-wire.md §2.3 (HostName=localhost:PORT, REQUESTS_CA_BUNDLE).
"""

import base64
import secrets
import uuid

import pytest
from azure.iot.hub import IoTHubRegistryManager
from azure.iot.hub.models import Twin, TwinProperties
from msrest.exceptions import HttpOperationError

LOCATION = {"region": "US", "plant": "Redmond43"}


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def new_device_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def user_props(desired: dict) -> dict:
    """desired without the service-maintained $metadata / $version."""
    return {k: v for k, v in desired.items() if not k.startswith("$")}


def expect_status(call, status: int) -> HttpOperationError:
    with pytest.raises(HttpOperationError) as info:
        call()
    got = info.value.response.status_code
    assert got == status, f"expected HTTP {status}, got {got}: {info.value.response.text!r}"
    return info.value


@pytest.fixture
def registry(emulator):
    cs = emulator.connection_string
    # The Python service SDK needs the port in HostName (it builds "https://" + HostName).
    assert f"HostName={emulator.ready['hostname']}:{emulator.ready['https_port']}" in cs, cs
    return IoTHubRegistryManager.from_connection_string(cs)


def test_guide_twin_flow(registry):
    device_id = new_device_id("compat-py")
    primary, secondary = new_key(), new_key()

    # 1. create the device (PUT /devices/{id}, exactly 200 expected by the SDK)
    device = registry.create_device_with_sas(device_id, primary, secondary, "enabled")
    assert device.device_id == device_id
    assert device.status == "enabled"
    assert device.etag
    assert device.authentication.type == "sas"
    assert device.authentication.symmetric_key.primary_key == primary
    assert device.authentication.symmetric_key.secondary_key == secondary
    assert registry.get_device(device_id).device_id == device_id

    # 2. get its twin
    twin = registry.get_twin(device_id)
    assert twin.device_id == device_id
    assert twin.etag, "twin etag must be in the body"
    assert not twin.tags
    assert user_props(twin.properties.desired) == {}
    assert twin.properties.desired["$version"] == 1
    assert user_props(twin.properties.reported) == {}
    first_etag = twin.etag

    # 3. update tags and desired with the twin's etag (PATCH /twins/{id}, If-Match: "<etag>")
    patch = Twin(tags={"location": LOCATION}, properties=TwinProperties(desired={"power_level": 1}))
    updated = registry.update_twin(device_id, patch, twin.etag)
    assert updated.device_id == device_id
    assert updated.etag and updated.etag != first_etag, "twin etag must change after an update"
    assert updated.tags == {"location": LOCATION}
    assert user_props(updated.properties.desired) == {"power_level": 1}
    assert updated.properties.desired["$version"] == 2

    again = registry.get_twin(device_id)
    assert again.etag == updated.etag
    assert again.tags == {"location": LOCATION}
    assert user_props(again.properties.desired) == {"power_level": 1}
    assert again.properties.desired["$version"] == 2

    # 4. the same update with the stale (first) etag fails with 412 and changes nothing
    stale = Twin(tags={"location": {"region": "EU"}}, properties=TwinProperties(desired={"power_level": 9}))
    expect_status(lambda: registry.update_twin(device_id, stale, first_etag), 412)
    unchanged = registry.get_twin(device_id)
    assert unchanged.etag == updated.etag
    assert unchanged.tags == {"location": LOCATION}
    assert user_props(unchanged.properties.desired) == {"power_level": 1}

    # 5. replace the twin (PUT /twins/{id}) with the current etag: exactly the new tags/desired remain
    new_tags = {"replaced": True, "site": {"building": "B2"}}
    new_desired = {"telemetry_interval": 30}
    replacement = Twin(tags=new_tags, properties=TwinProperties(desired=new_desired))
    replaced = registry.replace_twin(device_id, replacement, updated.etag)
    assert replaced.etag and replaced.etag != updated.etag
    assert replaced.tags == new_tags
    assert user_props(replaced.properties.desired) == new_desired
    assert replaced.properties.desired["$version"] == 3

    after_replace = registry.get_twin(device_id)
    assert after_replace.etag == replaced.etag
    assert after_replace.tags == new_tags
    assert user_props(after_replace.properties.desired) == new_desired

    # 6. delete the device (DELETE /devices/{id}, If-Match: "*", exactly 204 expected)
    assert registry.delete_device(device_id) is None
    expect_status(lambda: registry.get_device(device_id), 404)
    expect_status(lambda: registry.get_twin(device_id), 404)


def test_duplicate_create_conflicts(registry):
    device_id = new_device_id("compat-py-dup")
    registry.create_device_with_sas(device_id, new_key(), new_key(), "enabled")
    try:
        expect_status(
            lambda: registry.create_device_with_sas(device_id, new_key(), new_key(), "enabled"), 409
        )
    finally:
        registry.delete_device(device_id)
    expect_status(lambda: registry.get_device(device_id), 404)
