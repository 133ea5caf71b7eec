"""Fixtures for the official-SDK compatibility tests: start the emulator binary, stop it after.

Two fixtures:
* `emulator` (session): free ports, for the service SDK, which takes `HostName=host:port`.
* `fixed_port_emulator` (module): MQTT on 8883 and HTTPS/WebSockets on 443, because the Python
  device SDK hard-codes those ports (spec/official-sdk-wire.md §2.1). Module scope, so the fixed
  ports are held only while the module that needs them runs.

The launcher itself is tests/python/emulator.py, shared with the package's own tests.
"""

import contextlib
import importlib.util
import os
import secrets
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "iothub_twin_test_emulator", Path(__file__).resolve().parents[2] / "python" / "emulator.py"
)
assert _spec is not None and _spec.loader is not None
_emulator = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_emulator)
Emulator = _emulator.Emulator
REPO_ROOT = _emulator.REPO_ROOT
emulator_binary = _emulator.emulator_binary
start_emulator = _emulator.start_emulator
stop_emulator = _emulator.stop_emulator


@pytest.fixture(scope="session")
def emulator():
    """The emulator on a free HTTPS port (the Python service SDK takes HostName=localhost:PORT)."""
    emu = start_emulator("python", https_port=0)
    try:
        with trusting(emu):
            yield emu
    finally:
        stop_emulator(emu)


@contextlib.contextmanager
def trusting(emu: Emulator):
    """REQUESTS_CA_BUNDLE set to the emulator's CA, restored afterwards. The machine presets it
    to the system bundle: override it unconditionally. requests reads it per request
    (spec/official-sdk-wire.md §2.3)."""
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = emu.ca_cert
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved


@pytest.fixture(scope="module")
def fixed_port_emulator():
    """The emulator on 127.0.0.1:8883 (MQTT/TLS) and 127.0.0.1:443 (HTTPS + MQTT/WebSockets).

    The Python device SDK cannot be given a port (spec/official-sdk-wire.md §2.1). Binding 443
    needs root (or a low `ip_unprivileged_port_start`); the emulator's error names the flag.
    `entra_token` (the `--entra-token` stand-in) lets a test call the control API with plain
    HTTPS. Nothing here touches REQUESTS_CA_BUNDLE: the tests give the CA to each client.
    """
    token = secrets.token_hex(16)
    emu = start_emulator(
        "python-fixed-ports", https_port=443, mqtt_port=8883, extra_args=("--entra-token", token)
    )
    emu.entra_token = token
    try:
        if emu.ready.get("mqtt_port") != 8883 or emu.ready.get("https_port") != 443:
            pytest.fail(f"expected the emulator on 8883/443, ready line says {emu.ready!r}")
        yield emu
    finally:
        stop_emulator(emu)


def pytest_runtest_makereport(item, call):
    """On a failing test, attach the tail of the emulator's log to the report."""
    if call.when == "call" and call.excinfo is not None:
        funcargs = getattr(item, "funcargs", {})
        for name in ("emulator", "fixed_port_emulator"):
            emu = funcargs.get(name)
            if emu is not None:
                item.add_report_section("call", f"{name} stderr (tail)", emu.stderr_tail())

