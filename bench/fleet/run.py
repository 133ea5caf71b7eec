"""Fleet benchmark, one run on one emulator (release, --in-memory, MQTT on 8883: the official
device SDKs' fixed port, so run under tests/with-fixed-ports-lock.sh as `make bench-fleet`
does): each SDK's fleet in its own process, one after the other, ours and the official SDK for
Node and Python with FLEET devices, then ours alone with BIG devices idling IDLE seconds.
Prints each process's JSON line, then a Markdown table with the ratios ours / official.

Usage: run.py EMULATOR OURS_PYTHON OFFICIAL_PYTHON NODE_ADDON FLEET BIG IDLE [ONLY]
(OURS_PYTHON has the iothub-twin wheel; OFFICIAL_PYTHON has azure-iot-device; ONLY: a
comma-separated subset of the rows, e.g. python_official, to re-run just those.)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TIMEOUT_S = 3600


def start_emulator(binary: str, devices: int):
    args = [binary, "--in-memory", "--bind", "127.0.0.1", "--hostname", "localhost",
            "--mqtt-port", "8883", "--https-port", "0"]
    for i in range(devices):
        args += ["--device", f"fleet{i:05}"]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    ready = json.loads(proc.stdout.readline())
    assert ready["event"] == "ready" and ready["mqtt_port"] == 8883, ready
    return proc, ready


def run(args, connection_strings, env=None) -> dict:
    done = subprocess.run(args, input="\n".join(connection_strings), capture_output=True,
                          text=True, timeout=TIMEOUT_S, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        # A fleet the SDK cannot hold is a result too: say so and go on with the others.
        line = {"args": args[-4:], "failed": f"exit {done.returncode}",
                "stderr_tail": done.stderr.strip().splitlines()[-5:]}
        print(json.dumps(line), flush=True)
        return line
    line = json.loads(lines[-1])
    line["load_average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(json.dumps(line), flush=True)
    return line


def main() -> None:
    emulator, ours_py, official_py, addon, fleet, big, idle = sys.argv[1:8]
    only = sys.argv[8] if len(sys.argv) > 8 else ""
    fleet, big = int(fleet), int(big)
    proc, ready = start_emulator(emulator, max(fleet, big))
    try:
        devices = [ready["devices"][f"fleet{i:05}"] for i in range(max(fleet, big))]
        ca = ready["ca_cert"]
        node_env = {**os.environ, "NODE_EXTRA_CA_CERTS": ca,
                    "NODE_PATH": str(REPO / "tests" / "compat" / "node_modules"),
                    "IOTHUB_TWIN_PACKAGE": str(REPO / "bindings-node"),
                    "NAPI_RS_NATIVE_LIBRARY_PATH": str(Path(addon).resolve())}
        node = ["node", "--expose-gc", str(HERE / "node_fleet.js")]
        python = str(HERE / "python_fleet.py")
        plan = {
            "node_official": (node + ["official", "env", "0"], fleet, node_env),
            "node_ours_env": (node + ["iothub-twin", "env", "0"], fleet, node_env),
            "node_ours_option": (node + ["iothub-twin", "option", "0"], fleet, node_env),
            "python_official": ([official_py, python, "azure", ca, "0"], fleet, None),
            "python_ours": ([ours_py, python, "iothub_twin", ca, "0"], fleet, None),
        }
        if big > 0:
            plan["node_ours_big"] = (node + ["iothub-twin", "env", idle], big, node_env)
            plan["python_ours_big"] = ([ours_py, python, "iothub_twin", ca, idle], big, None)
        if only:
            plan = {k: v for k, v in plan.items() if k in only.split(",")}
        rows = {k: run(args, devices[:n], env) for k, (args, n, env) in plan.items()}
        if only:
            return
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    keys = [("RSS per connected device, KiB", "rss_per_device_kib"),
            ("CPU per reported patch, µs", "cpu_per_patch_us"),
            ("connect CPU per device, ms", "connect_cpu_per_device_ms"),
            ("threads", "threads")]
    print(f"\n{fleet} devices per process; load average at the end {os.getloadavg()[0]:.2f}\n")
    print("| per device | Node ours (NODE_EXTRA_CA_CERTS) | Node ours (ca option) | Node official "
          "| ours/official | Python ours | Python official | ours/official |")
    print("|---|---|---|---|---|---|---|---|")
    def ratio(x, y):
        return f"{x / y:.2f}×" if isinstance(x, (int, float)) and isinstance(y, (int, float)) else "—"

    for label, key in keys:
        a, b, c, d, e = (rows[k].get(key, "failed") for k in
                         ("node_ours_env", "node_ours_option", "node_official", "python_ours", "python_official"))
        print(f"| {label} | {a} | {b} | {c} | {ratio(a, c)} | {d} | {e} | {ratio(d, e)} |")


if __name__ == "__main__":
    main()
