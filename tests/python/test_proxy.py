"""Device and service clients through an HTTP CONNECT proxy: azure-iot-device's ProxyOptions
(MQTT over TLS and WebSockets), HTTPS_PROXY for both, and a proxy refusing the credentials
(a CredentialError at once, no hang)."""

from __future__ import annotations

import time

import pytest

import iothub_twin
from connect_proxy import ConnectProxy
from iothub_twin.exceptions import CredentialError, InvalidArgumentError


@pytest.fixture
def proxy():
    running = ConnectProxy("me:secret")
    yield running
    running.close()


@pytest.mark.parametrize("websockets", [False, True])
def test_device_client_through_proxy_options(hub, proxy, websockets):
    device_id, cs = hub.new_device("prx")
    if websockets:  # MQTT over WebSockets is served on the HTTPS port
        cs = cs.replace(hub.gateway, f"{hub.hostname}:{hub.https_port}")
    options = iothub_twin.ProxyOptions("HTTP", "127.0.0.1", proxy.port, "me", "secret")
    client = iothub_twin.IoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=hub.ca_pem, websockets=websockets, proxy_options=options
    )
    try:
        client.patch_twin_reported_properties({"via": "proxy"})
    finally:
        client.shutdown()
    assert proxy.tunnels >= 1
    assert hub.registry.get_twin(device_id).properties.reported["via"] == "proxy"


def test_https_proxy_is_used_by_device_and_service(hub, proxy, monkeypatch):
    device_id, cs = hub.new_device("env")
    monkeypatch.setenv("HTTPS_PROXY", f"http://me:secret@127.0.0.1:{proxy.port}")
    registry = iothub_twin.IoTHubRegistryManager.from_connection_string(
        hub.service_cs, server_verification_cert=hub.ca_pem
    )
    registry.get_twin(device_id)
    via_service = proxy.tunnels
    assert via_service >= 1
    client = iothub_twin.IoTHubDeviceClient.create_from_connection_string(cs, server_verification_cert=hub.ca_pem)
    try:
        client.get_twin()
    finally:
        client.shutdown()
    assert proxy.tunnels > via_service


def test_a_proxy_refusing_the_credentials_fails_at_once(hub, proxy):
    _, cs = hub.new_device("ref")
    options = iothub_twin.ProxyOptions("HTTP", "127.0.0.1", proxy.port, "me", "wrong")
    client = iothub_twin.IoTHubDeviceClient.create_from_connection_string(
        cs, server_verification_cert=hub.ca_pem, proxy_options=options
    )
    started = time.monotonic()
    with pytest.raises(CredentialError, match="proxy") as err:
        client.connect()
    assert time.monotonic() - started < 5
    assert "wrong" not in str(err.value)
    client.shutdown()
    with pytest.raises(InvalidArgumentError, match="HTTP proxies only"):
        iothub_twin.ProxyOptions("SOCKS5", "127.0.0.1", 1080)
