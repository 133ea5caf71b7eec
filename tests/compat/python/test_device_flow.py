"""The official Python device SDK (azure-iot-device 2.14.0) against the emulator's MQTT endpoint.

The device part of the device-twin guides, in four variants: the sync and the aio client, each
over MQTT/TLS (port 8883) and MQTT/WebSockets (`websockets=True`, port 443):

  connect, get the twin, patch reported {"connectivity": {"type": "cellular"}}, receive a desired
  patch set through REST, disconnect, connect again on the same client object, get the twin
  again, receive a second desired patch.

The SDK hard-codes its ports (spec/official-sdk-wire.md §2.1), hence the `fixed_port_emulator`
fixture (conftest.py). Devices are created and desired properties set through REST with the
official service SDK (azure-iot-hub). The SDK does not re-SUBSCRIBE after `connect()` again
(official-sdk-wire.md §3.8): the second patch arrives only because the emulator keeps the
clean-session=0 subscriptions.

The official clients have no timeout on twin requests (official-sdk-wire.md §3.7), so every SDK
call runs under a bounded wait and every wait for a patch has a deadline: a hang is a failure.
"""

import asyncio
import base64
import secrets
import threading
import time
import uuid

import pytest
import requests
from azure.iot.device import IoTHubDeviceClient
from azure.iot.device.aio import IoTHubDeviceClient as AioIoTHubDeviceClient
from azure.iot.hub import IoTHubRegistryManager
from azure.iot.hub.models import Twin, TwinProperties

STEP_TIMEOUT_S = 30
REST_TIMEOUT_S = 30

REPORTED = {"connectivity": {"type": "cellular"}}
FIRST_DESIRED = {"power_level": 1, "telemetry": {"interval": 30}}
# null removes a key (merge patch); the notification carries the null as it was set.
SECOND_DESIRED = {"power_level": None, "telemetry": {"interval": 10, "mode": "burst"}}
FINAL_DESIRED = {"telemetry": {"interval": 10, "mode": "burst"}}

VARIANTS = [
    pytest.param("sync", False, id="sync-tls"),
    pytest.param("aio", False, id="aio-tls"),
    pytest.param("sync", True, id="sync-websockets"),
    pytest.param("aio", True, id="aio-websockets"),
]


def user_props(section: dict) -> dict:
    """A desired/reported section without the service-maintained $metadata / $version."""
    return {k: v for k, v in section.items() if not k.startswith("$")}


# ---------------------------------------------------------------------------------------------
# bounded waits


def _run_on_daemon_thread(what, fn, args, done):
    """Runs fn(*args) on a daemon thread (a hung SDK call must not keep the process alive)."""
    result = {}

    def run():
        try:
            result["value"] = fn(*args)
        except BaseException as e:  # handed back to the caller
            result["error"] = e
        finally:
            done()

    threading.Thread(target=run, name=f"bounded: {what}", daemon=True).start()
    return result


def _outcome(what, result, timeout):
    if "error" in result:
        raise result["error"]
    if "value" not in result:
        pytest.fail(f"{what}: no result within {timeout}s (the official SDK has no timeout here)")
    return result["value"]


def bounded(what, fn, *args, timeout=STEP_TIMEOUT_S):
    """A blocking SDK call that must return within `timeout`."""
    finished = threading.Event()
    result = _run_on_daemon_thread(what, fn, args, finished.set)
    finished.wait(timeout)
    return _outcome(what, result, timeout)


async def abounded_blocking(what, fn, *args, timeout=STEP_TIMEOUT_S):
    """A blocking call (the aio client's handler setter blocks until SUBACK) run off the event
    loop, awaited with a deadline."""
    loop = asyncio.get_running_loop()
    finished = asyncio.Event()
    result = _run_on_daemon_thread(what, fn, args, lambda: loop.call_soon_threadsafe(finished.set))
    try:
        await asyncio.wait_for(finished.wait(), timeout)
    except asyncio.TimeoutError:
        pass
    return _outcome(what, result, timeout)


async def abounded(what, awaitable, timeout=STEP_TIMEOUT_S):
    """An aio SDK call that must complete within `timeout`."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        pytest.fail(f"{what}: no result within {timeout}s (the official SDK has no timeout here)")


class Patches:
    """Desired patches the sync client's handler received (it runs on an SDK thread)."""

    def __init__(self):
        self.received = []
        self._changed = threading.Condition()

    def handler(self, patch):
        with self._changed:
            self.received.append(patch)
            self._changed.notify_all()

    def wait_for_version(self, version, timeout=STEP_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = _with_version(self.received, version)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"no desired patch with $version {version} within {timeout}s; "
                        f"received: {self.received!r}"
                    )
                self._changed.wait(left)


class AsyncPatches:
    """Desired patches the aio client's coroutine handler received. The SDK runs handlers on its
    own loop thread, so they are handed to the test's loop with call_soon_threadsafe."""

    def __init__(self, loop):
        self.loop = loop
        self.received = []
        self._changed = asyncio.Event()

    async def handler(self, patch):
        self.loop.call_soon_threadsafe(self._add, patch)

    def _add(self, patch):
        self.received.append(patch)
        self._changed.set()

    async def wait_for_version(self, version, timeout=STEP_TIMEOUT_S):
        deadline = self.loop.time() + timeout
        while True:
            found = _with_version(self.received, version)
            if found is not None:
                return found
            self._changed.clear()
            left = deadline - self.loop.time()
            try:
                if left <= 0:
                    raise asyncio.TimeoutError
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pytest.fail(
                    f"no desired patch with $version {version} within {timeout}s; "
                    f"received: {self.received!r}"
                )


def _with_version(patches, version):
    # The SDK may also deliver an "artificial" whole-desired patch after a reconnect when the
    # version moved (ensure_desired_properties); the real notification is the first one seen.
    return next((p for p in patches if p.get("$version") == version), None)


# ---------------------------------------------------------------------------------------------
# the service side (REST): official azure-iot-hub, plus the emulator's control API


@pytest.fixture(scope="module")
def registry(fixed_port_emulator):
    cs = fixed_port_emulator.connection_string
    # HTTPS on 443: no port in HostName.
    assert "HostName=localhost;" in cs, cs
    rm = IoTHubRegistryManager.from_connection_string(cs)
    # The CA goes to this client only (spec/official-sdk-wire.md §2.3, programmatic form), so
    # the environment's REQUESTS_CA_BUNDLE (preset, or set by the service tests' fixture) is
    # neither relied on nor changed.
    rm.protocol.config.connection.verify = fixed_port_emulator.ca_cert
    rm.protocol.config.connection.timeout = REST_TIMEOUT_S
    return rm


@pytest.fixture
def device(registry, fixed_port_emulator):
    """A SAS device created through REST; its connection string has no GatewayHostName (8883)."""
    device_id = f"compat-pydev-{uuid.uuid4().hex[:12]}"
    primary = base64.b64encode(secrets.token_bytes(32)).decode()
    secondary = base64.b64encode(secrets.token_bytes(32)).decode()
    registry.create_device_with_sas(device_id, primary, secondary, "enabled")
    hostname = fixed_port_emulator.ready["hostname"]
    cs = f"HostName={hostname};DeviceId={device_id};SharedAccessKey={primary}"
    try:
        yield device_id, cs
    finally:
        registry.delete_device(device_id)


def set_desired(registry, device_id, patch, expected_version):
    """The back-end's desired update (with the twin's etag); checks the new desired $version."""
    current = registry.get_twin(device_id)
    assert current.properties.desired["$version"] == expected_version - 1
    updated = registry.update_twin(
        device_id, Twin(properties=TwinProperties(desired=patch)), current.etag
    )
    assert updated.properties.desired["$version"] == expected_version, updated.properties.desired


def connection_of(emu, device_id):
    """The emulator's view of the device's open MQTT connection (control API, not IoT Hub)."""
    response = requests.get(
        "https://localhost/emulator/connections",
        headers={"Authorization": f"Bearer {emu.entra_token}"},
        verify=emu.ca_cert,
        timeout=REST_TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    mine = [c for c in response.json() if c["deviceId"] == device_id]
    assert len(mine) == 1, f"expected one connection of {device_id}: {response.json()!r}"
    return mine[0]


# ---------------------------------------------------------------------------------------------
# checks shared by the sync and aio flows


def check_transport(emu, device_id, websockets):
    connection = connection_of(emu, device_id)
    assert connection["transport"] == ("websocket" if websockets else "mqtt"), connection


def check_first_twin(twin):
    assert user_props(twin["desired"]) == {}, twin
    assert twin["desired"]["$version"] == 1, twin
    assert user_props(twin["reported"]) == {}, twin
    assert twin["reported"]["$version"] == 1, twin


def check_reported_via_rest(registry, device_id):
    twin = registry.get_twin(device_id)
    assert user_props(twin.properties.reported) == REPORTED, twin.properties.reported
    assert twin.properties.reported["connectivity"]["type"] == "cellular"
    assert twin.properties.reported["$version"] == 2, twin.properties.reported


def check_patch(patch, expected, version):
    assert patch == {**expected, "$version": version}, patch


def check_twin_after_reconnect(twin):
    assert user_props(twin["desired"]) == FIRST_DESIRED, twin
    assert twin["desired"]["$version"] == 2, twin
    assert user_props(twin["reported"]) == REPORTED, twin
    assert twin["reported"]["$version"] == 2, twin


def check_final_twin(registry, device_id):
    twin = registry.get_twin(device_id)
    assert user_props(twin.properties.desired) == FINAL_DESIRED, twin.properties.desired
    assert twin.properties.desired["$version"] == 3, twin.properties.desired
    assert user_props(twin.properties.reported) == REPORTED, twin.properties.reported


# ---------------------------------------------------------------------------------------------
# the flows


def sync_flow(emu, registry, device_id, cs, websockets):
    ca_pem = open(emu.ca_cert, encoding="utf-8").read()
    client = IoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=ca_pem, websockets=websockets
    )
    patches = Patches()
    try:
        bounded("connect", client.connect)
        check_transport(emu, device_id, websockets)

        check_first_twin(bounded("get_twin", client.get_twin))

        assert bounded("patch reported", client.patch_twin_reported_properties, REPORTED) is None
        check_reported_via_rest(registry, device_id)

        bounded(
            "set on_twin_desired_properties_patch_received",
            setattr, client, "on_twin_desired_properties_patch_received", patches.handler,
        )
        set_desired(registry, device_id, FIRST_DESIRED, 2)
        check_patch(patches.wait_for_version(2), FIRST_DESIRED, 2)

        bounded("disconnect", client.disconnect)
        bounded("connect again", client.connect)
        check_transport(emu, device_id, websockets)
        check_twin_after_reconnect(bounded("get_twin after reconnect", client.get_twin))

        set_desired(registry, device_id, SECOND_DESIRED, 3)
        check_patch(patches.wait_for_version(3), SECOND_DESIRED, 3)
        check_final_twin(registry, device_id)
        assert [p["$version"] for p in patches.received if p["$version"] > 1] == [2, 3], (
            patches.received
        )
    finally:
        try:
            bounded("shutdown", client.shutdown)
        except BaseException:  # the test's own failure (if any) is the one to report
            pass


async def aio_flow(emu, registry, device_id, cs, websockets):
    ca_pem = open(emu.ca_cert, encoding="utf-8").read()
    client = AioIoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=ca_pem, websockets=websockets
    )
    patches = AsyncPatches(asyncio.get_running_loop())
    try:
        await abounded("connect", client.connect())
        check_transport(emu, device_id, websockets)

        check_first_twin(await abounded("get_twin", client.get_twin()))

        assert await abounded("patch reported", client.patch_twin_reported_properties(REPORTED)) is None
        check_reported_via_rest(registry, device_id)

        # The aio handler setter is synchronous and blocks until SUBACK (official-sdk-wire.md §3.4).
        await abounded_blocking(
            "set on_twin_desired_properties_patch_received",
            setattr, client, "on_twin_desired_properties_patch_received", patches.handler,
        )
        set_desired(registry, device_id, FIRST_DESIRED, 2)
        check_patch(await patches.wait_for_version(2), FIRST_DESIRED, 2)

        await abounded("disconnect", client.disconnect())
        await abounded("connect again", client.connect())
        check_transport(emu, device_id, websockets)
        check_twin_after_reconnect(await abounded("get_twin after reconnect", client.get_twin()))

        set_desired(registry, device_id, SECOND_DESIRED, 3)
        check_patch(await patches.wait_for_version(3), SECOND_DESIRED, 3)
        check_final_twin(registry, device_id)
        assert [p["$version"] for p in patches.received if p["$version"] > 1] == [2, 3], (
            patches.received
        )
    finally:
        try:
            await asyncio.wait_for(client.shutdown(), STEP_TIMEOUT_S)
        except BaseException:  # the test's own failure (if any) is the one to report
            pass


@pytest.mark.parametrize("flavour, websockets", VARIANTS)
def test_guide_device_flow(fixed_port_emulator, registry, device, flavour, websockets):
    device_id, cs = device
    assert "GatewayHostName" not in cs
    if flavour == "sync":
        sync_flow(fixed_port_emulator, registry, device_id, cs, websockets)
    else:
        asyncio.run(aio_flow(fixed_port_emulator, registry, device_id, cs, websockets))
