"""What the parity names do, in the style of the official SDKs' e2e twin suites: identities
updated and listed, module twins, a symmetric-key client, the deprecated receive API, a
non-JSON patch failing as azure-iot-device fails it, out-of-scope names failing at once."""

from __future__ import annotations

import asyncio
import secrets

import pytest

import iothub_twin
import iothub_twin.aio
from iothub_twin.exceptions import ClientError, OutOfScopeError, PreconditionFailedError
from conftest import async_wait_until
from helpers import key_of, sas_token
from test_service import make


def new_id(prefix):
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture(params=["sync", "aio"])
def registry(hub, request):
    return make(request.param, hub.service_cs, server_verification_cert=hub.ca_pem, transport_type=None)


def test_devices_update_and_list(registry):
    device_id = new_id("upd")
    created = registry.create_device_with_sas(device_id, None, None, "enabled")
    updated = registry.update_device_with_sas(device_id, created.etag, None, None, "disabled")
    assert updated.status == "disabled" and updated.authentication.type == "sas"
    with pytest.raises(PreconditionFailedError):
        registry.update_device_with_sas(device_id, created.etag, None, None, "enabled")
    thumb = "AB" * 20
    x509 = registry.update_device_with_x509(device_id, None, thumb, None, "enabled")
    assert x509.authentication.type == "selfSigned"
    assert x509.authentication.x509_thumbprint.primary_thumbprint == thumb
    ca = registry.update_device_with_certificate_authority(device_id, "*", "enabled")
    assert ca.authentication.type == "certificateAuthority"
    assert device_id in [d.device_id for d in registry.get_devices()]
    assert len(registry.get_devices(1)) == 1


def test_modules_create_update_list(registry):
    device_id = new_id("mod")
    registry.create_device_with_sas(device_id, None, None, "enabled")
    x509 = registry.create_module_with_x509(device_id, "m1", None, "CD" * 20, None)
    assert x509.authentication.type == "selfSigned"
    ca = registry.create_module_with_certificate_authority(device_id, "m2", "me")
    assert ca.authentication.type == "certificateAuthority" and ca.managed_by == "me"
    sas = registry.update_module_with_sas(device_id, "m1", None, x509.etag, None, None)
    assert sas.authentication.type == "sas" and sas.authentication.symmetric_key.primary_key
    assert registry.update_module_with_x509(device_id, "m2", None, None, "EF" * 20, None).module_id == "m2"
    back = registry.update_module_with_certificate_authority(device_id, "m2", None, "*")
    assert back.authentication.type == "certificateAuthority"
    assert {m.module_id for m in registry.get_modules(device_id)} >= {"m1", "m2"}


def test_module_twin_round_trip(hub):
    device_id = new_id("mtw")
    hub.registry.create_device_with_sas(device_id, None, None, "enabled")
    module = hub.registry.create_module_with_sas(device_id, "twin", None, None, None)
    cs = (f"HostName={hub.hostname};DeviceId={device_id};ModuleId=twin;"
          f"SharedAccessKey={module.authentication.symmetric_key.primary_key};GatewayHostName={hub.gateway}")
    client = iothub_twin.IoTHubModuleClient.create_from_connection_string(cs, server_verification_cert=hub.ca_pem)
    try:
        client.patch_twin_reported_properties({"fw": "1.0", "gone": None})
        assert hub.registry.get_module_twin(device_id, "twin").properties.reported["fw"] == "1.0"
        # As in azure-iot-device, receiving starts with the first call.
        assert client.receive_twin_desired_properties_patch(block=False) is None
        twin = hub.registry.get_module_twin(device_id, "twin")
        hub.registry.update_module_twin(device_id, "twin", {"properties": {"desired": {"rate": 5}}}, twin.etag)
        patch = client.receive_twin_desired_properties_patch(timeout=10)
        assert patch is not None and patch["rate"] == 5
    finally:
        client.shutdown()


async def test_symmetric_key_client_and_non_json_patch(hub):
    device_id = new_id("sym")
    device = hub.registry.create_device_with_sas(device_id, None, None, "enabled")
    client = iothub_twin.aio.IoTHubDeviceClient.create_from_symmetric_key(
        device.authentication.symmetric_key.primary_key, hub.hostname, device_id,
        gateway_hostname=hub.gateway, server_verification_cert=hub.ca_pem,
    )
    try:
        await client.patch_twin_reported_properties({"ok": True})
        with pytest.raises(ClientError) as err:
            await client.patch_twin_reported_properties({"bad": lambda: None})
        assert isinstance(err.value.__cause__, TypeError)
        assert (await client.get_twin())["reported"]["ok"] is True
    finally:
        await client.shutdown()


def test_out_of_scope_names_say_where_to_go(hub):
    client = iothub_twin.IoTHubDeviceClient.create_from_connection_string(hub.new_device()[1])
    with pytest.raises(OutOfScopeError, match="azure-iot-device"):
        client.send_message("hello")
    with pytest.raises(OutOfScopeError, match="direct methods"):
        client.on_method_request_received = print
    with pytest.raises(OutOfScopeError, match="azure-iot-hub"):
        hub.registry.send_c2d_message("d", "hi")
    with pytest.raises(ImportError, match="device twins"):
        from iothub_twin.aio import Message  # noqa: F401
    client.shutdown()


async def test_sastoken_renewal_keeps_the_subscription(hub):
    """on_new_sastoken_required fires before expiry; update_sastoken reconnects with the new
    token; desired changes still reach the handler; a token for someone else is a ValueError."""
    device_id, cs = hub.new_device("ren")
    resource = f"{hub.hostname}/devices/{device_id}"
    # Expiring within the 120 s margin, so the alarm fires at once.
    client = iothub_twin.aio.IoTHubDeviceClient.create_from_sastoken(
        sas_token(resource, key_of(cs), 100), server_verification_cert=hub.ca_pem, gateway_hostname=hub.gateway
    )
    asked = asyncio.Event()
    patches = []
    client.on_new_sastoken_required = asked.set
    client.on_twin_desired_properties_patch_received = patches.append
    await client.connect()
    await asyncio.wait_for(asked.wait(), 10)
    await client.update_sastoken(sas_token(resource, key_of(cs), 3600))
    hub.registry.update_twin(device_id, {"properties": {"desired": {"renewed": 1}}})
    await async_wait_until(lambda: any(p.get("renewed") == 1 for p in patches), what="a patch after renewal")
    with pytest.raises(ValueError):
        await client.update_sastoken(sas_token(f"{hub.hostname}/devices/other", key_of(cs), 3600))
    with pytest.raises(ValueError):
        await client.update_sastoken("not a token")
    await client.shutdown()

    keyed = iothub_twin.IoTHubDeviceClient.create_from_connection_string(cs, server_verification_cert=hub.ca_pem)
    with pytest.raises(ClientError):
        keyed.update_sastoken(sas_token(resource, key_of(cs), 3600))
    keyed.shutdown()
