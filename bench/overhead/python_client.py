"""The Python package's sequential reported-patch round trips (aio), one JSON line on stdout:
round trips, per second, mean µs and CPU µs (this process) per round trip.

Usage: python_client.py CONNECTION_STRING CA_PEM_PATH SECONDS
"""

import asyncio
import json
import sys
import time

from iothub_twin.aio import IoTHubDeviceClient

WARM_UP_S = 1.0


async def main() -> None:
    cs, ca_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with open(ca_path) as f:
        ca = f.read()
    client = IoTHubDeviceClient.create_from_connection_string(cs, server_verification_cert=ca)
    await client.connect()
    n = 0
    warm = time.perf_counter() + WARM_UP_S
    while time.perf_counter() < warm:
        n += 1
        await client.patch_twin_reported_properties({"bench": {"n": n, "mode": "steady", "ok": True}})
    count, start, cpu = 0, time.perf_counter(), time.process_time()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        n += 1
        count += 1
        await client.patch_twin_reported_properties({"bench": {"n": n, "mode": "steady", "ok": True}})
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    await client.shutdown()
    print(json.dumps({"round_trips": count, "per_s": round(count / wall),
                      "mean_us": round(wall * 1e6 / count, 1), "cpu_us": round(cpu * 1e6 / count, 1)}))


asyncio.run(main())
