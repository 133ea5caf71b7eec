"""Twin scenarios in the style of the official SDKs' e2e twin suites, run on iothub_twin: a fresh
device from an official-style description, reported and desired round trips with merges and
nulls, etag "*" and a stale etag, desired changes made while the client is disconnected."""

from __future__ import annotations

import secrets

import pytest

import iothub_twin
from conftest import wait_until
from iothub_twin.exceptions import PreconditionFailedError
from iothub_twin.models import Twin, TwinProperties


@pytest.fixture
def device(hub):
    device_id = f"e2e-{secrets.token_hex(4)}"
    created = hub.registry.create_device_with_sas(device_id, None, None, "enabled")
    key = created.authentication.symmetric_key.primary_key
    client = iothub_twin.IoTHubDeviceClient.create_from_symmetric_key(
        key, hub.hostname, device_id, gateway_hostname=hub.gateway, server_verification_cert=hub.ca_pem
    )
    client.connect()
    yield device_id, client
    client.shutdown()
    hub.registry.delete_device(device_id)


def test_reported_properties_merge_and_null_removes(hub, device):
    device_id, client = device
    client.patch_twin_reported_properties({"fw": {"version": "1.0", "channel": "beta"}, "temp": 20})
    client.patch_twin_reported_properties({"fw": {"channel": None}, "temp": 21})
    reported = hub.registry.get_twin(device_id).properties.reported
    assert reported["fw"] == {"version": "1.0"} and reported["temp"] == 21
    assert client.get_twin()["reported"]["fw"] == {"version": "1.0"}


def test_desired_properties_arrive_merged_with_nulls(hub, device):
    device_id, client = device
    patches = []
    client.on_twin_desired_properties_patch_received = patches.append
    twin = hub.registry.get_twin(device_id)
    hub.registry.update_twin(device_id, Twin(properties=TwinProperties(desired={"a": {"b": 1, "c": 2}})), twin.etag)
    hub.registry.update_twin(device_id, {"properties": {"desired": {"a": {"c": None}}}}, "*")
    wait_until(lambda: len(patches) == 2, what="two desired patches")
    assert patches[0]["a"] == {"b": 1, "c": 2} and patches[1]["a"] == {"c": None}
    assert client.get_twin()["desired"]["a"] == {"b": 1}


def test_etag_star_and_a_stale_etag(hub, device):
    device_id, _ = device
    first = hub.registry.get_twin(device_id)
    second = hub.registry.update_twin(device_id, {"tags": {"site": "A"}}, first.etag)
    assert second.etag != first.etag
    with pytest.raises(PreconditionFailedError):
        hub.registry.update_twin(device_id, {"tags": {"site": "B"}}, first.etag)
    assert hub.registry.update_twin(device_id, {"tags": {"site": "C"}}, "*").tags["site"] == "C"


def test_desired_changes_while_disconnected_are_read_on_reconnect(hub, device):
    device_id, client = device
    client.disconnect()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"offline": True}}}, "*")
    client.connect()
    assert client.get_twin()["desired"]["offline"] is True
