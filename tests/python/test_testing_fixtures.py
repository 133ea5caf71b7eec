"""``iothub_twin.testing`` and its pytest plugin, as installed in the repo's venv: where the
binary is looked for, the fault helpers' errors, the fixed-ports lock, and no orphan emulator
when the user's test fails, when pytest gets Ctrl-C and when pytest is killed.

The user's side runs in a child pytest (the plugin comes from the ``pytest11`` entry point that
``maturin develop`` installed), pointed at the debug binary with ``IOTHUB_TWIN_EMULATOR``."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import emulator, wait_until
from iothub_twin.testing import (
    FIXED_PORTS_LOCK, EmulatorNotFound, HubRequestError, find_emulator, start_hub,
)

BINARY = str(emulator.emulator_binary())

USER_TEST = textwrap.dedent(
    """
    import os, pathlib, threading

    def test_user(iothub_hub, iothub_device):
        assert iothub_device.connection_string.startswith("HostName=localhost;DeviceId=")
        pathlib.Path(os.environ["PID_FILE"]).write_text(str(iothub_hub.pid))
        if os.environ["MODE"] == "fail":
            assert False, "the user's test fails"
        threading.Event().wait(120)  # until the runner is interrupted or killed
    """
)


@pytest.fixture
def binary_env(monkeypatch):
    monkeypatch.setenv("IOTHUB_TWIN_EMULATOR", BINARY)


def test_the_missing_binary_error_names_the_wheel_the_variable_and_path(monkeypatch, tmp_path):
    monkeypatch.delenv("IOTHUB_TWIN_EMULATOR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EmulatorNotFound) as error:
        find_emulator()
    text = str(error.value)
    assert "pip install iothub-twin-emulator" in text and "$IOTHUB_TWIN_EMULATOR" in text and "PATH" in text
    monkeypatch.setenv("IOTHUB_TWIN_EMULATOR", str(tmp_path / "nothing-here"))
    with pytest.raises(EmulatorNotFound, match="IOTHUB_TWIN_EMULATOR is not an executable file"):
        find_emulator()


def test_identities_and_faults_over_the_control_api(binary_env):
    with start_hub() as hub:
        device_cs = hub.create_device("fixture-d1", primary_key=None)
        assert device_cs.endswith(f";GatewayHostName=localhost:{hub.mqtt_port}")
        module_cs = hub.create_module("fixture-d1", "m1")
        assert ";ModuleId=m1;SharedAccessKey=" in module_cs
        with pytest.raises(HubRequestError) as error:
            hub.drop_connection("fixture-d1")  # not connected
        assert error.value.status == 404 and "DeviceNotOnline" in error.value.body
        with pytest.raises(TypeError, match="unknown fault drop_everything"):
            hub.set_faults(drop_everything=1)
        hub.set_faults(device_id="fixture-d1", refuse_connects=2, throttle_service_requests=0)
        assert hub.faults()["refuseConnects"] == 2 and hub.faults()["deviceId"] == "fixture-d1"
        hub.clear_faults()
        assert hub.faults()["refuseConnects"] == 0
        hub.delete_device("fixture-d1")
        with pytest.raises(HubRequestError) as error:
            hub.delete_device("fixture-d1")
        assert error.value.status == 404
        pid = hub.pid
    assert not alive(pid)


def test_fixed_ports_hold_the_lock_until_stopped(binary_env):
    with start_hub(fixed_ports=True) as hub:
        assert (hub.https_port, hub.mqtt_port) == (443, 8883)
        assert hub.service_connection_string.startswith("HostName=localhost;")
        assert "GatewayHostName" not in hub.create_device("fixed-d1")
        with open(FIXED_PORTS_LOCK, "a+") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        pid = hub.pid
        lock = hub._lock
    # The lock goes with the stopped emulator (not taken here: another process may wait for it).
    assert not alive(pid) and lock is not None and lock._file.closed


@pytest.mark.parametrize("mode", ["fail", "sigint", "sigkill"])
def test_no_orphan_emulator_when_the_user_test_fails_or_the_runner_is_stopped(mode, tmp_path):
    (tmp_path / "test_user.py").write_text(USER_TEST)
    pid_file = tmp_path / "emulator.pid"
    env = dict(os.environ, IOTHUB_TWIN_EMULATOR=BINARY, PID_FILE=str(pid_file), MODE=mode)
    runner = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_until(lambda: pid_file.exists() and pid_file.read_text(), timeout=60, what="the user's test")
        emulator = int(pid_file.read_text())
        assert alive(emulator)
        if mode == "sigint":
            runner.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
        elif mode == "sigkill":
            runner.kill()
        output, _ = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    expected = {"fail": 1, "sigint": 2, "sigkill": -signal.SIGKILL}[mode]
    assert runner.returncode == expected, output
    if mode == "fail":
        assert "the user's test fails" in output and "iothub_hub log (tail)" in output, output
    wait_until(lambda: not alive(emulator), timeout=20, what=f"emulator {emulator} to exit")


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"



def test_the_pytest_plugin_is_registered_and_imports_nothing_of_iothub_twin_until_used(tmp_path):
    """pytest loads every pytest11 plugin in every run: loading ours must not load the native
    module (it is imported by the first fixture a test asks for)."""
    from importlib.metadata import entry_points

    plugins = {e.name: e.value for e in entry_points(group="pytest11")}
    assert plugins.get("iothub_twin") == "iothub_twin_pytest"
    code = "import sys, iothub_twin_pytest; print(sorted(m for m in sys.modules if m.startswith('iothub_twin')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "['iothub_twin_pytest']", out.stdout
