"""Exceptions: classes named as azure.iot.device.exceptions, their attributes, bad arguments as
ValueError subclasses, and every failure prompt (no hangs)."""

from __future__ import annotations

import pickle

import pytest

import iothub_twin
from iothub_twin import exceptions as exc
from iothub_twin.aio import IoTHubDeviceClient


def test_the_hierarchy_mirrors_azure_iot_device():
    for name in ("ConnectionFailedError", "ConnectionDroppedError", "NoConnectionError", "CredentialError"):
        assert issubclass(getattr(exc, name), exc.ClientError)
    assert issubclass(exc.OperationTimeout, TimeoutError)
    assert issubclass(exc.InvalidArgumentError, ValueError)
    assert issubclass(exc.InvalidConnectionStringError, ValueError)
    assert issubclass(exc.NotFoundError, exc.ServiceError)
    for name in exc.__all__:
        assert issubclass(getattr(exc, name), exc.IoTHubError)


def test_bad_arguments_raise_value_errors_with_clear_messages(hub):
    with pytest.raises(exc.InvalidConnectionStringError, match="invalid connection string: .*needs"):
        iothub_twin.IoTHubDeviceClient.create_from_connection_string("HostName=h;SharedAccessKey=a2V5")
    with pytest.raises(ValueError, match="x509"):
        IoTHubDeviceClient.create_from_connection_string("HostName=h;DeviceId=d;x509=true")
    with pytest.raises(TypeError, match="Unsupported keyword argument: 'bogus'"):
        IoTHubDeviceClient.create_from_connection_string(
            "HostName=h;DeviceId=d;SharedAccessKey=a2V5", bogus=1
        )
    with pytest.raises(exc.InvalidConnectionStringError):
        iothub_twin.IoTHubRegistryManager.from_connection_string("HostName=h")
    # A SAS token that is not one.
    with pytest.raises(exc.InvalidArgumentError, match="SAS token"):
        iothub_twin.IoTHubDeviceClient.create_from_sastoken("not a token").connect()


async def test_twin_rules_are_checked_before_sending(hub):
    _, cs = hub.new_device()
    client = IoTHubDeviceClient.create_from_connection_string(cs, server_verification_cert=hub.ca_pem)
    await client.connect()
    with pytest.raises(exc.InvalidTwinError) as info:
        await client.patch_twin_reported_properties({"bad.key": 1})
    assert isinstance(info.value, ValueError)
    assert info.value.error_code == "ArgumentInvalid" and info.value.error_code_number == 400004
    # As azure-iot-device: not JSON is a ClientError caused by json's TypeError.
    with pytest.raises(exc.ClientError, match="JSON") as not_json:
        await client.patch_twin_reported_properties({"a": object()})
    assert isinstance(not_json.value.__cause__, TypeError)
    await client.shutdown()


async def test_a_wrong_key_is_a_credential_error(hub):
    _, cs = hub.new_device()
    bad = cs.replace(cs.split("SharedAccessKey=")[1].split(";")[0], "d3Jvbmcga2V5IHdyb25nIGtleQ==")
    client = IoTHubDeviceClient.create_from_connection_string(bad, server_verification_cert=hub.ca_pem)
    with pytest.raises(exc.CredentialError) as info:
        await client.connect()
    assert info.value.status is None and not info.value.retryable
    assert "d3Jvbmcga2V5" not in str(info.value)


async def test_an_untrusted_server_is_a_connection_error(hub):
    _, cs = hub.new_device()
    import certifi

    with open(certifi.where()) as f:
        other_roots = f.read()
    client = IoTHubDeviceClient.create_from_connection_string(cs, server_verification_cert=other_roots)
    with pytest.raises(exc.ConnectionFailedError):
        await client.connect()


async def test_a_withheld_answer_times_out_and_the_client_stays_usable(hub):
    device_id, cs = hub.new_device()
    client = IoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=hub.ca_pem, operation_timeout=1
    )
    await client.connect()
    hub.control("PUT", "/emulator/faults", {"withholdTwinResponses": 1, "deviceId": device_id})
    with pytest.raises(exc.OperationTimeout) as info:
        await client.get_twin()
    assert isinstance(info.value, TimeoutError) and info.value.retryable
    assert (await client.get_twin())["desired"]["$version"] == 1
    await client.shutdown()


async def test_offline_queue_full(hub):
    device_id, cs = hub.new_device()
    client = IoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=hub.ca_pem, offline_queue_capacity=1, connection_retry_interval=0.4
    )
    await client.connect()
    hub.control("PUT", "/emulator/faults", {"refuseConnects": 1000, "deviceId": device_id})
    hub.drop_connection(device_id)
    import asyncio

    from conftest import async_wait_until

    await async_wait_until(lambda: not client.connected, what="the drop")
    # Two patches offline with room for one: exactly one is refused at once.
    first = asyncio.ensure_future(client.patch_twin_reported_properties({"n": 1}))
    second = asyncio.ensure_future(client.patch_twin_reported_properties({"n": 2}))
    done, pending = await asyncio.wait({first, second}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    assert len(done) == 1 and len(pending) == 1
    refused = done.pop().exception()
    assert isinstance(refused, exc.QueueFullError) and isinstance(refused, exc.ClientError)
    hub.control("PUT", "/emulator/faults", {})
    await asyncio.wait_for(pending.pop(), 20)  # the queued one goes out after the reconnect
    await client.shutdown()


def test_service_errors_carry_status_code_and_pickle(hub):
    with pytest.raises(exc.NotFoundError) as info:
        hub.registry.get_twin("no-such-device")
    error = info.value
    assert (error.status, error.error_code, error.error_code_number) == (404, "DeviceNotFound", 404001)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is exc.NotFoundError
    assert (copy.status, copy.error_code, str(copy)) == (404, "DeviceNotFound", str(error))
