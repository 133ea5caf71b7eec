"""iothub_twin.IoTHubDeviceClient (sync facade) against the emulator: the scenarios of
test_device_aio.py, blocking."""

from __future__ import annotations

import threading

import pytest

from conftest import wait_until
from helpers import key_of, sas_token, user_props
from iothub_twin import IoTHubDeviceClient
from iothub_twin.exceptions import ClientClosedError, NoConnectionError

FAST_RETRY = {"connection_retry_interval": 0.4, "operation_timeout": 10}


def client_for(hub, cs, **kwargs) -> IoTHubDeviceClient:
    return IoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=hub.ca_pem, **FAST_RETRY, **kwargs
    )


def test_guide_flow_with_a_function_handler_run_off_the_loop(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    patches, threads = [], []

    def on_patch(patch):
        threads.append(threading.current_thread().name)
        patches.append(patch)

    client.on_twin_desired_properties_patch_received = on_patch
    client.connect()
    assert client.connected
    twin = client.get_twin()
    assert twin["desired"]["$version"] == 1
    client.patch_twin_reported_properties({"connectivity": {"type": "cellular"}})
    assert hub.registry.get_twin(device_id).properties.reported["connectivity"] == {"type": "cellular"}
    hub.registry.update_twin(device_id, {"properties": {"desired": {"power_level": 1}}})
    wait_until(lambda: patches, what="the desired patch")
    assert patches == [{"power_level": 1, "$version": 2}]
    assert threads[0].startswith("iothub-twin-handler")
    client.shutdown()
    assert not client.connected


def test_a_coroutine_handler_works_on_the_sync_client_too(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    seen = []

    async def on_patch(patch):
        seen.append(patch)

    client.on_twin_desired_properties_patch_received = on_patch
    client.connect()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"a": 1}}})
    wait_until(lambda: seen, what="the coroutine handler")
    assert seen == [{"a": 1, "$version": 2}]
    client.shutdown()


def test_the_blocking_iterator_yields_desired_patches(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    client.connect()
    updates = client.desired_property_updates()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"n": 1}}})
    assert next(updates) == {"n": 1, "$version": 2}
    client.shutdown()
    assert list(updates) == []


def test_a_reconnect_delivers_one_exact_difference_patch_to_the_handler(hub):
    device_id, cs = hub.new_device()
    hub.registry.update_twin(
        device_id, {"properties": {"desired": {"keep": 1, "change": "a", "remove": True}}}
    )
    client = client_for(hub, cs)
    patches, states = [], []
    client.on_twin_desired_properties_patch_received = patches.append
    client.on_connection_state_change = lambda: states.append(client.connected)
    client.connect()

    hub.control("PUT", "/emulator/faults", {"refuseConnects": 1000, "deviceId": device_id})
    hub.drop_connection(device_id)
    wait_until(lambda: not client.connected, what="the drop")
    hub.registry.update_twin(device_id, {"properties": {"desired": {"change": "b"}}})
    last = hub.registry.update_twin(
        device_id, {"properties": {"desired": {"change": "c", "remove": None, "added": {"x": 1}}}}
    )
    version = last.properties.desired["$version"]
    hub.control("PUT", "/emulator/faults", {})

    wait_until(lambda: patches, what="the resync patch")
    assert patches == [{"change": "c", "remove": None, "added": {"x": 1}, "$version": version}]
    hub.registry.update_twin(device_id, {"properties": {"desired": {"after": True}}})
    wait_until(lambda: len(patches) == 2, what="the next patch")
    assert patches[1] == {"after": True, "$version": version + 1}
    wait_until(lambda: states and states[-1] is True, what="the reconnected state")
    assert False in states
    client.shutdown()


def test_no_handler_is_called_after_shutdown(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    patches = []
    client.on_twin_desired_properties_patch_received = patches.append
    client.connect()
    client.shutdown()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"late": 1}}})
    witness = client_for(hub, cs)
    seen = []
    witness.on_twin_desired_properties_patch_received = seen.append
    witness.connect()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"later": 1}}})
    wait_until(lambda: seen, what="the witness patch")
    assert patches == []
    with pytest.raises(ClientClosedError):
        client.get_twin()
    witness.shutdown()


def test_disconnect_then_connect_again_and_auto_connect(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    patches = []
    client.on_twin_desired_properties_patch_received = patches.append
    assert client.get_twin()["desired"]["$version"] == 1  # auto_connect
    client.disconnect()
    assert not client.connected
    client.connect()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"again": 1}}})
    wait_until(lambda: patches, what="a patch after reconnecting")
    assert user_props(patches[0]) == {"again": 1}
    client.shutdown()
    with pytest.raises(NoConnectionError):
        client_for(hub, cs, auto_connect=False).get_twin()


def test_create_from_sastoken(hub):
    device_id, cs = hub.new_device()
    token = sas_token(f"{hub.hostname}/devices/{device_id}", key_of(cs))
    client = IoTHubDeviceClient.create_from_sastoken(
        token, server_verification_cert=hub.ca_pem, gateway_hostname=hub.gateway
    )
    client.patch_twin_reported_properties({"via": "sas token"})
    assert hub.registry.get_twin(device_id).properties.reported["via"] == "sas token"
    client.shutdown()
