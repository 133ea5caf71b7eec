"""The official Python service SDK (azure-iot-hub 2.7.0) making the calls the `service_client`
benchmark makes with iothub-twin: get_twin, update_twin and (when the hub has it) a query,
one call at a time for SECONDS each.

Usage: service_sdk.py CONNECTION_STRING CA_PEM DEVICE_ID SECONDS [QUERY]
Prints one JSON line per call: {"call", "calls", "seconds", "per_second", "p50_ms"}.
Run by `service_client` with the repo's .venv/bin/python (make bench).
"""

import json
import os
import sys
import time


def main() -> None:
    cs, ca, device_id, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    query = sys.argv[5] if len(sys.argv) > 5 else None
    # The machine presets REQUESTS_CA_BUNDLE to the system bundle: override it
    # (spec/official-sdk-wire.md §2.3); requests reads it per request.
    os.environ["REQUESTS_CA_BUNDLE"] = ca

    from azure.iot.hub import IoTHubRegistryManager
    from azure.iot.hub.models import QuerySpecification, Twin, TwinProperties

    registry = IoTHubRegistryManager.from_connection_string(cs)
    measure_calls(registry, Twin, TwinProperties, QuerySpecification, device_id, seconds, query)


def measure_calls(registry, Twin, TwinProperties, QuerySpecification, device_id, seconds, query):
    """Times get_twin, update_twin and (given QUERY) query_iot_hub on REGISTRY, one call at a
    time for SECONDS each, and prints a JSON line per call. Written against azure-iot-hub's API,
    so bench/python/service_ours.py runs it unchanged on iothub_twin's registry manager."""
    counter = {"n": 0}

    def update():
        counter["n"] += 1
        patch = Twin(properties=TwinProperties(desired={"power_level": counter["n"], "mode": "bench"}))
        registry.update_twin(device_id, patch, None)  # etag None -> If-Match: "*"

    calls = [
        ("get_twin", lambda: registry.get_twin(device_id)),
        ("update_twin", update),
    ]
    if query:
        spec = QuerySpecification(query=query)
        calls.append(("query", lambda: registry.query_iot_hub(spec, None, 100)))

    for name, call in calls:
        for _ in range(3):  # warm-up
            call()
        latencies = []
        start = time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            call()
            latencies.append(time.perf_counter() - sent)
        elapsed = time.perf_counter() - start
        latencies.sort()
        print(
            json.dumps(
                {
                    "call": name,
                    "calls": len(latencies),
                    "seconds": round(elapsed, 2),
                    "per_second": len(latencies) / elapsed,
                    "p50_ms": latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
