"""iothub_twin.aio.IoTHubDeviceClient against the emulator (mirrored in test_device_sync.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from conftest import async_wait_until
from helpers import key_of, sas_token, user_props
from iothub_twin.aio import IoTHubDeviceClient
from iothub_twin.exceptions import ClientClosedError, NoConnectionError

FAST_RETRY = {"connection_retry_interval": 0.4, "operation_timeout": 10}


def client_for(hub, cs, **kwargs) -> IoTHubDeviceClient:
    return IoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=hub.ca_pem, **FAST_RETRY, **kwargs
    )


async def test_guide_flow_with_a_function_handler(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    patches, threads = [], []

    def on_patch(patch):
        threads.append(threading.current_thread())
        patches.append(patch)

    client.on_twin_desired_properties_patch_received = on_patch
    await client.connect()
    assert client.connected
    twin = await client.get_twin()
    assert twin["desired"]["$version"] == 1 and twin["reported"]["$version"] == 1

    await client.patch_twin_reported_properties({"connectivity": {"type": "cellular"}})
    reported = hub.registry.get_twin(device_id).properties.reported
    assert reported["connectivity"] == {"type": "cellular"}

    hub.registry.update_twin(device_id, {"properties": {"desired": {"power_level": 1}}})
    await async_wait_until(lambda: patches, what="the desired patch")
    assert patches == [{"power_level": 1, "$version": 2}]
    # The handler ran on the event loop's thread, not on a tokio worker.
    assert threads == [threading.current_thread()]

    await client.shutdown()
    assert not client.connected


async def test_a_coroutine_handler_is_awaited(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    seen = []

    async def on_patch(patch):
        await asyncio.sleep(0)
        seen.append((asyncio.current_task() is not None, patch))

    client.on_twin_desired_properties_patch_received = on_patch
    await client.connect()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"a": 1}}})
    await async_wait_until(lambda: seen, what="the coroutine handler")
    assert seen == [(True, {"a": 1, "$version": 2})]
    await client.shutdown()


async def test_the_async_iterator_yields_desired_patches_in_order(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    await client.connect()
    updates = client.desired_property_updates()
    for n in range(3):
        hub.registry.update_twin(device_id, {"properties": {"desired": {"n": n}}})
    got = [await asyncio.wait_for(updates.__anext__(), 10) for _ in range(3)]
    assert got == [{"n": n, "$version": n + 2} for n in range(3)]
    await client.shutdown()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(updates.__anext__(), 10)


async def test_a_reconnect_delivers_one_exact_difference_patch_to_the_handler(hub):
    device_id, cs = hub.new_device()
    hub.registry.update_twin(
        device_id, {"properties": {"desired": {"keep": 1, "change": "a", "remove": True}}}
    )
    client = client_for(hub, cs)
    patches, states = [], []
    client.on_twin_desired_properties_patch_received = patches.append
    client.on_connection_state_change = lambda: states.append(client.connected)
    await client.connect()
    await client.get_twin()  # the baseline is in place once a read went through

    hub.control("PUT", "/emulator/faults", {"refuseConnects": 1000, "deviceId": device_id})
    hub.drop_connection(device_id)
    await async_wait_until(lambda: not client.connected, what="the drop")
    hub.registry.update_twin(device_id, {"properties": {"desired": {"change": "b"}}})
    last = hub.registry.update_twin(
        device_id, {"properties": {"desired": {"change": "c", "remove": None, "added": {"x": 1}}}}
    )
    version = last.properties.desired["$version"]
    hub.control("PUT", "/emulator/faults", {})

    await async_wait_until(lambda: patches, what="the resync patch")
    assert patches == [{"change": "c", "remove": None, "added": {"x": 1}, "$version": version}]
    # Exactly one: the next change is the next patch.
    hub.registry.update_twin(device_id, {"properties": {"desired": {"after": True}}})
    await async_wait_until(lambda: len(patches) == 2, what="the next patch")
    assert patches[1] == {"after": True, "$version": version + 1}
    assert states[0] is True and False in states and states[-1] is True
    await client.shutdown()


async def test_no_handler_is_called_after_shutdown(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    patches = []
    client.on_twin_desired_properties_patch_received = patches.append
    await client.connect()
    await client.shutdown()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"late": 1}}})
    # A witness connected afterwards sees a later change, so the first one was long processed.
    witness = client_for(hub, cs)
    seen = []
    witness.on_twin_desired_properties_patch_received = seen.append
    await witness.connect()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"later": 1}}})
    await async_wait_until(lambda: seen, what="the witness patch")
    assert patches == []
    with pytest.raises(ClientClosedError):
        await client.get_twin()
    with pytest.raises(ClientClosedError):
        await client.connect()
    await witness.shutdown()


async def test_disconnect_then_connect_again_and_auto_connect(hub):
    device_id, cs = hub.new_device()
    client = client_for(hub, cs)
    patches = []
    client.on_twin_desired_properties_patch_received = patches.append
    # auto_connect (default): the first call connects.
    assert (await client.get_twin())["desired"]["$version"] == 1
    assert client.connected
    await client.disconnect()
    assert not client.connected
    await client.connect()
    hub.registry.update_twin(device_id, {"properties": {"desired": {"again": 1}}})
    await async_wait_until(lambda: patches, what="a patch after reconnecting")
    assert user_props(patches[0]) == {"again": 1}
    await client.shutdown()

    manual = client_for(hub, cs, auto_connect=False)
    with pytest.raises(NoConnectionError):
        await manual.get_twin()
    with pytest.raises(NoConnectionError):
        manual.desired_property_updates()


async def test_create_from_sastoken(hub):
    device_id, cs = hub.new_device()
    token = sas_token(f"{hub.hostname}/devices/{device_id}", key_of(cs))
    client = IoTHubDeviceClient.create_from_sastoken(
        token, server_verification_cert=hub.ca_pem, gateway_hostname=hub.gateway
    )
    await client.connect()
    await client.patch_twin_reported_properties({"via": "sas token"})
    assert hub.registry.get_twin(device_id).properties.reported["via"] == "sas token"
    await client.shutdown()


async def test_websockets(hub):
    device_id, cs = hub.new_device()
    ws_cs = cs.replace(hub.gateway, f"{hub.hostname}:{hub.https_port}")
    client = IoTHubDeviceClient.create_from_connection_string(
        ws_cs, server_verification_cert=hub.ca_pem, websockets=True
    )
    await client.connect()
    await client.patch_twin_reported_properties({"transport": "wss"})
    assert hub.registry.get_twin(device_id).properties.reported["transport"] == "wss"
    await client.shutdown()


async def test_create_from_x509_certificate(hub, tmp_path):
    import json
    import urllib.request

    from iothub_twin import X509

    device_id = f"x509-{id(tmp_path) % 100000}"
    hub.registry.create_device_with_certificate_authority(device_id, "enabled")
    request = urllib.request.Request(
        f"https://{hub.hostname}:{hub.https_port}/emulator/devices/{device_id}/certificate"
        "?api-version=2021-04-12",
        method="POST",
        headers={"Authorization": f"Bearer {hub.entra_token}"},
    )
    with urllib.request.urlopen(request, context=hub._ssl, timeout=10) as response:
        issued = json.load(response)
    (tmp_path / "cert.pem").write_text(issued["certificate"])
    (tmp_path / "key.pem").write_text(issued["privateKey"])
    x509 = X509(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    client = IoTHubDeviceClient.create_from_x509_certificate(
        x509, hub.hostname, device_id, server_verification_cert=hub.ca_pem, gateway_hostname=hub.gateway
    )
    await client.connect()
    await client.patch_twin_reported_properties({"auth": "x509"})
    assert hub.registry.get_twin(device_id).properties.reported["auth"] == "x509"
    await client.shutdown()


async def test_a_module_client_and_module_twins(hub):
    device_id, _ = hub.new_device("mod")
    module = hub.registry.create_module_with_sas(device_id, "m1", None, None, None)
    assert (module.device_id, module.module_id) == (device_id, "m1")
    key = module.authentication.symmetric_key.primary_key
    cs = f"HostName={hub.hostname};DeviceId={device_id};ModuleId=m1;SharedAccessKey={key};GatewayHostName={hub.gateway}"
    client = client_for(hub, cs)
    patches = []
    client.on_twin_desired_properties_patch_received = patches.append
    await client.connect()
    await client.patch_twin_reported_properties({"module": True})
    twin = hub.registry.get_module_twin(device_id, "m1")
    assert twin.module_id == "m1" and twin.properties.reported["module"] is True
    hub.registry.update_module_twin(device_id, "m1", {"properties": {"desired": {"m": 1}}}, twin.etag)
    await async_wait_until(lambda: patches, what="the module's desired patch")
    assert patches == [{"m": 1, "$version": 2}]
    await client.shutdown()
