"""The Python benchmark: iothub_twin against the official azure-iot-device 2.14 and
azure-iot-hub 2.7, one emulator (release build, in memory), one run, same machine.

Usage: run.py EMULATOR OURS_PYTHON OFFICIAL_PYTHON [SECONDS]

OURS_PYTHON has iothub_twin (release wheel) installed, OFFICIAL_PYTHON the official SDKs (the
repo's .venv). The official device SDK can only connect to port 8883, so the emulator's MQTT
endpoint is on 8883: run this under `flock /tmp/iothub-fixed-ports.lock` (make bench-python
does). Each figure comes from a fresh worker process (device_worker.py, service_ours.py,
../service_sdk.py). Prints every JSON line, then a Markdown table with ratios.
"""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUERY = "SELECT * FROM devices WHERE deviceId = 'svc'"


def start_emulator(binary: str):
    proc = subprocess.Popen(
        [binary, "--in-memory", "--bind", "127.0.0.1", "--hostname", "localhost",
         "--mqtt-port", "8883", "--https-port", "0",
         "--device", "dev-ours", "--device", "dev-official", "--device", "svc"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    ready = json.loads(proc.stdout.readline())
    assert ready["event"] == "ready" and ready["mqtt_port"] == 8883, ready
    return proc, ready


def json_lines(args) -> list:
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=600).stdout
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for line in lines:
        print(json.dumps(line), flush=True)
    return lines


def main() -> None:
    emulator, ours_py, official_py = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds = sys.argv[4] if len(sys.argv) > 4 else "5"
    proc, ready = start_emulator(emulator)
    try:
        ca = ready["ca_cert"]
        devices = ready["devices"]
        figures = {}
        for sdk, python, device in (("iothub_twin", ours_py, "dev-ours"), ("azure", official_py, "dev-official")):
            merged = {}
            for mode in ("sync", "aio"):
                (line,) = json_lines([python, str(HERE / "device_worker.py"), sdk, mode, devices[device], ca, seconds])
                merged.update(line)
            merged["rss_client_mib"] = merged["rss_connected_mib"] - merged["rss_interpreter_mib"]
            figures[sdk] = merged
        service = {
            "iothub_twin": {l["call"]: l for l in json_lines(
                [ours_py, str(HERE / "service_ours.py"), ready["service_connection_string"], ca, "svc", seconds, QUERY])},
            "azure": {l["call"]: l for l in json_lines(
                [official_py, str(HERE.parent / "service_sdk.py"), ready["service_connection_string"], ca, "svc", seconds, QUERY])},
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    ours, official = figures["iothub_twin"], figures["azure"]
    rows = [
        ("reported patch round trips/s, sequential (sync)", "sequential_per_s", "{:.0f}", "higher"),
        ("reported patch round trips/s, 64 concurrent (aio)", "concurrent64_per_s", "{:.0f}", "higher"),
        ("connect time (ms)", "connect_ms", "{:.1f}", "lower"),
        ("RSS of the whole process, client connected (MiB)", "rss_connected_mib", "{:.1f}", "lower"),
        ("RSS added by the SDK: import + connected client (MiB)", "rss_client_mib", "{:.1f}", "lower"),
        ("import time (ms)", "import_ms", "{:.1f}", "lower"),
    ]
    print()
    print("| measure | iothub_twin | azure-iot-device / azure-iot-hub | iothub_twin / official |")
    print("|---|---|---|---|")
    for label, key, fmt, _ in rows:
        a, b = ours[key], official[key]
        print(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {a / b:.2f}× |")
    for call in ("get_twin", "update_twin", "query"):
        a, b = service["iothub_twin"][call]["per_second"], service["azure"][call]["per_second"]
        print(f"| service {call} calls/s (sync, sequential) | {a:.0f} | {b:.0f} | {a / b:.2f}× |")


if __name__ == "__main__":
    main()
