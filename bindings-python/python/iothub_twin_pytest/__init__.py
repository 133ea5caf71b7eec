"""pytest fixtures for a local IoT Hub (``iothub_twin.testing``), registered through the
``pytest11`` entry point of the ``iothub-twin`` package.

A top-level module of its own, importing nothing but the standard library and pytest until a
test asks for a fixture: pytest loads every registered plugin in every run, and importing
``iothub_twin`` loads the native module. Nothing starts unless a test asks for a fixture:

* ``iothub_hub`` (session): one emulator for the whole run, in memory, on free ports.
* ``iothub_device`` (function): a new SAS device on ``iothub_hub`` with a unique id, deleted
  after the test; ``.device_id`` and ``.connection_string``.
* ``iothub_fixed_port_hub`` (module): an emulator on 8883/443 for the official device SDKs,
  holding ``/tmp/iothub-fixed-ports.lock`` while it runs.

Every fixture stops its emulator on failure and on Ctrl-C (pytest runs the teardown); if pytest
itself is killed, the emulator gets SIGTERM from the kernel (Linux). On a failing test the tail
of the emulator's log is added to the report.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from iothub_twin.testing import Hub


@dataclass(frozen=True)
class Device:
    """A device made for one test."""

    device_id: str
    connection_string: str


@pytest.fixture(scope="session")
def iothub_hub() -> Iterator["Hub"]:
    """A local IoT Hub for the session (in memory, free ports)."""
    from iothub_twin.testing import start_hub

    with start_hub() as hub:
        yield hub


@pytest.fixture(scope="module")
def iothub_fixed_port_hub() -> Iterator["Hub"]:
    """A local IoT Hub on 8883 (MQTT) and 443 (HTTPS, WebSockets), under the fixed-ports lock."""
    from iothub_twin.testing import start_hub

    with start_hub(fixed_ports=True) as hub:
        yield hub


@pytest.fixture
def iothub_device(request: pytest.FixtureRequest, iothub_hub: "Hub") -> Iterator[Device]:
    """A fresh SAS device on ``iothub_hub``, named after the test, deleted afterwards."""
    from iothub_twin.testing import HubRequestError

    stem = re.sub(r"[^A-Za-z0-9-]+", "-", request.node.name).strip("-")[:80] or "device"
    device_id = f"{stem}-{secrets.token_hex(3)}"
    connection_string = iothub_hub.create_device(device_id)
    yield Device(device_id, connection_string)
    try:
        iothub_hub.delete_device(device_id)
    except HubRequestError as error:
        if error.status != 404:  # the test may have deleted it itself
            raise


# The old-style wrapper, which every pytest this supports (7 on) understands.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for name in ("iothub_hub", "iothub_fixed_port_hub"):
            hub = getattr(item, "funcargs", {}).get(name)
            if hub is not None:
                report.sections.append((f"{name} log (tail)", hub.log_tail()))
