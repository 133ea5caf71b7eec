"""The guide's code (samples/python, imports changed only) runs against the emulator: the device
app reports connectivity and prints the desired patch, the back-end app tags the device, sets
desired power_level and finds the device with both queries; Ctrl-C stops the device app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from conftest import REPO_ROOT

SAMPLES = REPO_ROOT / "samples" / "python"
TIMEOUT_S = 60


def read_until(stream, needle: str, seen: list) -> None:
    for line in stream:
        seen.append(line)
        if needle in line:
            return
    raise AssertionError(f"{needle!r} never printed; output: {''.join(seen)}")


def test_the_guides_device_and_back_end_apps(hub):
    device_id, cs = hub.new_device("guide")
    # The guide's code passes no CA: the emulator's CA comes in as the standard variables.
    env = dict(os.environ, SSL_CERT_FILE=hub.ca_path, REQUESTS_CA_BUNDLE=hub.ca_path)
    device = subprocess.Popen(
        [sys.executable, "-u", str(SAMPLES / "device_app.py"), cs],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    device_out: list = []
    try:
        read_until(device.stdout, "Reported properties updated", device_out)
        service = subprocess.run(
            [sys.executable, str(SAMPLES / "service_app.py"), hub.service_cs, device_id],
            env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
        )
        assert service.returncode == 0, service.stderr
        lines = service.stdout.splitlines()
        assert "Unexpected error" not in service.stdout, service.stdout
        plant = next(line for line in lines if line.startswith("Devices in Redmond43 plant: "))
        cellular = next(line for line in lines if line.startswith("Devices in Redmond43 plant using cellular"))
        assert device_id in plant.split(": ", 1)[1].split(", ")
        assert device_id in cellular.split(": ", 1)[1].split(", ")

        read_until(device.stdout, "'power_level': 1", device_out)
        assert "Twin patch received:" in "".join(device_out)
        device.send_signal(signal.SIGINT)
        out, err = device.communicate(timeout=TIMEOUT_S)
    finally:
        if device.poll() is None:
            device.kill()
            device.wait()
    assert "IoT Hub Device Twin device sample stopped" in out, err
    assert device.returncode == 0, err
    twin = hub.registry.get_twin(device_id)
    assert twin.properties.reported["connectivity"] == "cellular"
    assert twin.tags == {"location": {"region": "US", "plant": "Redmond43"}}
