"""Whole-process behaviour: interpreter exit and Ctrl-C with a connected client do not hang;
core log records reach Python's logging (logger ``iothub_twin``) without secrets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

EXIT_TIMEOUT_S = 30  # a bound for the test, not a timing assertion: a hang would be forever


def run_script(hub, cs, body: str, **popen):
    env = dict(os.environ, DEVICE_CS=cs, CA_PEM=hub.ca_pem)
    for name, value in popen.pop("env", {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    script = textwrap.dedent(body)
    return subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


@pytest.mark.parametrize("api", ["sync", "aio"])
def test_exit_with_a_connected_client_does_not_hang(hub, api):
    _, cs = hub.new_device()
    sync = """
        import os, iothub_twin
        c = iothub_twin.IoTHubDeviceClient.create_from_connection_string(
            os.environ["DEVICE_CS"], server_verification_cert=os.environ["CA_PEM"])
        c.on_twin_desired_properties_patch_received = print
        c.connect()
        print("connected", c.connected, flush=True)
        # no shutdown: the interpreter exits with the client connected
    """
    aio = """
        import asyncio, os, iothub_twin.aio
        async def main():
            c = iothub_twin.aio.IoTHubDeviceClient.create_from_connection_string(
                os.environ["DEVICE_CS"], server_verification_cert=os.environ["CA_PEM"])
            c.on_twin_desired_properties_patch_received = print
            await c.connect()
            print("connected", c.connected, flush=True)
        asyncio.run(main())
    """
    proc = run_script(hub, cs, sync if api == "sync" else aio)
    out, err = proc.communicate(timeout=EXIT_TIMEOUT_S)
    assert proc.returncode == 0, err
    assert "connected True" in out


@pytest.mark.parametrize("api", ["sync", "aio"])
def test_ctrl_c_while_waiting_on_a_connected_client_exits(hub, api):
    _, cs = hub.new_device()
    sync = """
        import os, iothub_twin
        c = iothub_twin.IoTHubDeviceClient.create_from_connection_string(
            os.environ["DEVICE_CS"], server_verification_cert=os.environ["CA_PEM"])
        c.connect()
        print("waiting", flush=True)
        for patch in c.desired_property_updates():  # blocks until Ctrl-C
            pass
    """
    aio = """
        import asyncio, os, iothub_twin.aio
        async def main():
            c = iothub_twin.aio.IoTHubDeviceClient.create_from_connection_string(
                os.environ["DEVICE_CS"], server_verification_cert=os.environ["CA_PEM"])
            await c.connect()
            print("waiting", flush=True)
            async for patch in c.desired_property_updates():
                pass
        asyncio.run(main())
    """
    proc = run_script(hub, cs, sync if api == "sync" else aio)
    try:
        assert proc.stdout.readline().strip() == "waiting"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=EXIT_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "KeyboardInterrupt" in err


def test_core_logs_reach_python_logging_without_secrets(hub):
    device_id, cs = hub.new_device()
    key = cs.split("SharedAccessKey=")[1].split(";")[0]
    script = """
        import logging, os, sys, time, iothub_twin
        logging.basicConfig(level=logging.DEBUG, format="%(name)s %(levelname)s %(message)s")
        c = iothub_twin.IoTHubDeviceClient.create_from_connection_string(
            os.environ["DEVICE_CS"], server_verification_cert=os.environ["CA_PEM"],
            connection_retry_interval=0.2)
        c.connect()
        print("connected", flush=True)
        sys.stdin.readline()  # the test drops the connection meanwhile
        deadline = time.monotonic() + 20
        while c.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        while not c.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        c.get_twin()
        c.shutdown()
    """
    # Default filter (info): the core's own records.
    proc = run_script(hub, cs, script, stdin=subprocess.PIPE, env={"IOTHUB_TWIN_LOG": None})
    assert proc.stdout.readline().strip() == "connected"
    hub.drop_connection(device_id)
    out, err = proc.communicate("go\n", timeout=EXIT_TIMEOUT_S)
    assert proc.returncode == 0, err
    lost = [line for line in err.splitlines() if line.startswith("iothub_twin INFO iothub_twin::device")]
    assert any("MQTT connection lost" in line for line in lost), err
    assert key not in err and key not in out

    # IOTHUB_TWIN_LOG chooses what is recorded: debug brings the TLS stack's records too.
    proc = run_script(hub, cs, script, stdin=subprocess.PIPE, env={"IOTHUB_TWIN_LOG": "debug"})
    assert proc.stdout.readline().strip() == "connected"
    hub.drop_connection(device_id)
    out, err = proc.communicate("go\n", timeout=EXIT_TIMEOUT_S)
    assert proc.returncode == 0, err
    assert any(line.startswith("iothub_twin DEBUG") for line in err.splitlines()), err
    assert key not in err and key not in out


def test_trace_logs_over_websockets_carry_no_sas_token(hub):
    # tungstenite logs every sent WebSocket frame at TRACE, the MQTT CONNECT (with its SAS token)
    # included; the native module caps that target whatever IOTHUB_TWIN_LOG says.
    _, cs = hub.new_device()
    cs = cs.replace(hub.gateway, f"{hub.hostname}:{hub.https_port}")  # WebSockets: the HTTPS port
    key = cs.split("SharedAccessKey=")[1].split(";")[0]
    script = """
        import logging, os, iothub_twin
        logging.basicConfig(level=1, format="%(name)s %(levelname)s %(message)s")
        c = iothub_twin.IoTHubDeviceClient.create_from_connection_string(
            os.environ["DEVICE_CS"], server_verification_cert=os.environ["CA_PEM"], websockets=True)
        c.connect()
        c.patch_twin_reported_properties({"traced": True})
        c.shutdown()
        print("done", flush=True)
    """
    proc = run_script(hub, cs, script, stdin=subprocess.PIPE, env={"IOTHUB_TWIN_LOG": "trace"})
    out, err = proc.communicate("", timeout=EXIT_TIMEOUT_S)
    assert proc.returncode == 0, err
    assert "done" in out
    # TRACE (Python level 5) records do come through, the WebSocket stack's own among them.
    assert any(line.startswith("iothub_twin Level 5") for line in err.splitlines()), err
    assert "sig=" not in err and "SharedAccessSignature" not in err, err
    assert key not in err and key not in out
