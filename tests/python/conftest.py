"""Fixtures for the Python package's tests: the emulator binary on free ports (started and
stopped by emulator.py, next to this file), devices made through our own
registry manager, and the emulator's control API (drop a device's connection).

The package under test is ``iothub_twin`` as installed in the venv (``make python`` runs
``maturin develop``)."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import ssl
import time
import urllib.request
from pathlib import Path
from typing import Callable, Optional

import pytest

import iothub_twin

REPO_ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("iothub_twin_test_emulator", Path(__file__).with_name("emulator.py"))
assert _spec is not None and _spec.loader is not None
emulator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(emulator)


class Hub:
    """A running emulator and what tests need from it."""

    def __init__(self, emu) -> None:
        self.emu = emu
        self.hostname: str = emu.ready["hostname"]
        self.mqtt_port: int = emu.ready["mqtt_port"]
        self.https_port: int = emu.ready["https_port"]
        self.service_cs: str = emu.connection_string
        self.ca_pem: str = Path(emu.ca_cert).read_text()
        self.ca_path: str = emu.ca_cert
        self.entra_token: str = emu.entra_token
        self.registry = iothub_twin.IoTHubRegistryManager.from_connection_string(
            self.service_cs, server_verification_cert=self.ca_pem
        )
        self._ssl = ssl.create_default_context(cafile=self.ca_path)

    @property
    def gateway(self) -> str:
        return f"{self.hostname}:{self.mqtt_port}"

    def new_device(self, prefix: str = "dev") -> tuple[str, str]:
        """Creates a SAS device; returns (device_id, connection string)."""
        device_id = f"{prefix}-{secrets.token_hex(4)}"
        device = self.registry.create_device_with_sas(device_id, None, None, "enabled")
        key = device.authentication.symmetric_key.primary_key
        cs = (
            f"HostName={self.hostname};DeviceId={device_id};SharedAccessKey={key};"
            f"GatewayHostName={self.gateway}"
        )
        return device_id, cs

    def control(self, method: str, path: str, body: Optional[dict] = None) -> int:
        request = urllib.request.Request(
            f"https://{self.hostname}:{self.https_port}{path}?api-version=2021-04-12",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.entra_token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, context=self._ssl, timeout=10) as response:
            return response.status

    def drop_connection(self, device_id: str) -> None:
        assert self.control("DELETE", f"/emulator/connections/{device_id}") == 204


@pytest.fixture(scope="session")
def hub():
    token = secrets.token_hex(16)
    emu = emulator.start_emulator("python-binding", https_port=0, extra_args=("--entra-token", token))
    emu.entra_token = token
    try:
        yield Hub(emu)
    finally:
        emulator.stop_emulator(emu)


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    """Polls ``condition`` until it is truthy (bounded); returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


async def async_wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    import asyncio

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def pytest_runtest_makereport(item, call):
    if call.when == "call" and call.excinfo is not None:
        hub = getattr(item, "funcargs", {}).get("hub")
        if hub is not None:
            item.add_report_section("call", "emulator stderr (tail)", hub.emu.stderr_tail())
