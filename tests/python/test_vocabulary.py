"""The core owns the vocabulary: the shared invalid-input vectors (tests/fixtures/error_kinds.json)
give the same kind, code and class here as in Rust and Node, and a retry policy that ran out is
a connection failure, not a credential one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import iothub_twin
from iothub_twin import exceptions as exc
from iothub_twin.aio import IoTHubDeviceClient

from conftest import async_wait_until

VECTORS = json.loads((Path(__file__).parent.parent / "fixtures" / "error_kinds.json").read_text())
OPTION_NAMES = {"keep_alive": "keep_alive", "operation_timeout": "operation_timeout",
                "sas_token_ttl": "sastoken_ttl", "timeout": "timeout"}


def python_options(vector: dict) -> dict:
    return {OPTION_NAMES[name]: value for name, value in vector.get("options", {}).items()}


def check(vector: dict, error: BaseException) -> None:
    assert type(error).__name__ == vector["python_class"], (vector["name"], error)
    assert error.code == vector["code"], vector["name"]


@pytest.mark.parametrize("vector", VECTORS["device"], ids=lambda v: v["name"])
async def test_device_vectors(vector):
    with pytest.raises(exc.IoTHubError) as info:
        if "sas_token" in vector:
            client = IoTHubDeviceClient.create_from_sastoken(vector["sas_token"], **python_options(vector))
        else:
            client = IoTHubDeviceClient.create_from_connection_string(
                vector["connection_string"], **python_options(vector)
            )
        await client.connect()
    check(vector, info.value)


@pytest.mark.parametrize("vector", VECTORS["service"], ids=lambda v: v["name"])
def test_service_vectors(vector):
    with pytest.raises(exc.IoTHubError) as info:
        iothub_twin.IoTHubRegistryManager.from_connection_string(
            vector["connection_string"], **python_options(vector)
        )
    check(vector, info.value)


async def test_an_exhausted_retry_policy_is_a_connection_failure(hub):
    device_id, cs = hub.new_device("retry")
    client = IoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=hub.ca_pem, connection_retry=False, operation_timeout=10
    )
    await client.connect()
    hub.drop_connection(device_id)
    await async_wait_until(lambda: client._native.connection_state == "failed", what="the failed state")
    with pytest.raises(exc.ConnectionFailedError) as info:
        await client.get_twin()
    assert not isinstance(info.value, exc.CredentialError)
    assert info.value.code == "ERR_CONNECTION"
    await client.shutdown()
