"""One device SDK's figures in a fresh process, as one JSON line on stdout.

Usage: device_worker.py {iothub_twin|azure} {sync|aio} CONNECTION_STRING CA_PEM SECONDS

sync: import time, connect time, RSS once connected, sequential reported-patch round trips/s
(each patch waits for the hub's answer). aio: round trips/s with 64 patches in flight.
Both SDKs get the same connection string (emulator MQTT on 8883, the official SDK's fixed
port) and the emulator's CA as server_verification_cert.
"""

import asyncio
import json
import sys
import time

CONCURRENCY = 64


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    sdk, mode, cs, ca_path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
    with open(ca_path) as f:
        ca = f.read()
    rss_before = rss_kib()
    started = time.perf_counter()
    if sdk == "iothub_twin":
        if mode == "sync":
            from iothub_twin import IoTHubDeviceClient
        else:
            from iothub_twin.aio import IoTHubDeviceClient
    else:
        if mode == "sync":
            from azure.iot.device import IoTHubDeviceClient
        else:
            from azure.iot.device.aio import IoTHubDeviceClient
    import_s = time.perf_counter() - started
    result = {"sdk": sdk, "mode": mode, "import_ms": import_s * 1000}
    client = IoTHubDeviceClient.create_from_connection_string(cs, server_verification_cert=ca)

    if mode == "sync":
        started = time.perf_counter()
        client.connect()
        result["connect_ms"] = (time.perf_counter() - started) * 1000
        client.patch_twin_reported_properties({"warm": 1})
        result["rss_connected_mib"] = rss_kib() / 1024
        result["rss_interpreter_mib"] = rss_before / 1024
        n, start = 0, time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            n += 1
            client.patch_twin_reported_properties({"n": n})
        result["sequential_per_s"] = n / (time.perf_counter() - start)
        client.shutdown()
    else:

        async def run() -> None:
            await client.connect()
            await client.patch_twin_reported_properties({"warm": 1})
            counter = {"n": 0}
            deadline = time.perf_counter() + seconds

            async def worker(w: int) -> None:
                while time.perf_counter() < deadline:
                    counter["n"] += 1
                    await client.patch_twin_reported_properties({"w": w, "n": counter["n"]})

            start = time.perf_counter()
            await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
            result["concurrent64_per_s"] = counter["n"] / (time.perf_counter() - start)
            await client.shutdown()

        asyncio.run(run())
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
