"""One Python process holding a fleet of aio device clients (iothub_twin or the official
azure-iot-device): connect + get_twin each, RSS per connected device after a GC, CPU per
reported patch with every device patching, connect CPU per device, threads, and (after IDLE
seconds idle) how many still answer a patch. Trust: the CA as server_verification_cert (the
Python guide's way). Connection strings on stdin, one a line. One JSON line on stdout.

Usage: python_fleet.py {iothub_twin|azure} CA_PEM_PATH IDLE_SECONDS < connection-strings
"""

import asyncio
import gc
import json
import sys
import time

PATCHES = 5
CONNECT_CONCURRENCY = 64


def status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def settled_rss_kib() -> int:
    gc.collect()
    return status("VmRSS")


async def main() -> None:
    sdk, ca_path, idle = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if sdk == "iothub_twin":
        from iothub_twin.aio import IoTHubDeviceClient
    else:
        from azure.iot.device.aio import IoTHubDeviceClient
    with open(ca_path) as f:
        ca = f.read()
    connection_strings = [line for line in sys.stdin.read().splitlines() if line]
    n = len(connection_strings)
    rss_before = settled_rss_kib()
    cpu_before = time.process_time()
    clients = []
    failures = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(cs: str) -> None:
        async with gate:
            client = IoTHubDeviceClient.create_from_connection_string(cs, server_verification_cert=ca)
            try:
                await client.connect()
                await client.get_twin()
            except Exception as e:  # a device the SDK cannot connect is counted, not fatal
                failures.append(repr(e))
                return
            clients.append(client)

    await asyncio.gather(*(connect(cs) for cs in connection_strings))
    connect_cpu = time.process_time() - cpu_before
    await asyncio.sleep(2)
    rss_after = settled_rss_kib()

    async def patches(client) -> None:
        for i in range(PATCHES):
            await client.patch_twin_reported_properties({"fleet": {"n": i}})

    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(patches(c) for c in clients))
    patch_cpu = time.process_time() - cpu
    patch_seconds = time.perf_counter() - started
    threads = status("Threads")
    await asyncio.sleep(idle)
    answering = 0

    async def answer(client) -> None:
        nonlocal answering
        async with gate:
            try:
                await asyncio.wait_for(client.patch_twin_reported_properties({"fleet": {"n": -1}}), 60)
                answering += 1
            except Exception:  # counted as not answering
                pass

    await asyncio.gather(*(answer(c) for c in clients))

    async def close(client) -> None:
        async with gate:
            await client.shutdown()

    await asyncio.gather(*(close(c) for c in clients), return_exceptions=True)
    print(json.dumps({
        "impl": sdk, "devices": n, "connected": len(clients),
        "connect_failures": len(failures), "first_failure": failures[0] if failures else None,
        "rss_per_device_kib": round((rss_after - rss_before) / n, 1),
        "cpu_per_patch_us": round(patch_cpu * 1e6 / (PATCHES * max(len(clients), 1))),
        "patch_seconds": round(patch_seconds, 2),
        "connect_cpu_per_device_ms": round(connect_cpu * 1e3 / n, 2),
        "threads": threads, "idle_seconds": idle, "answering_after_idle": answering,
    }), flush=True)


asyncio.run(main())
