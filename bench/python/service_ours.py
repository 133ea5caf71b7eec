"""iothub_twin's IoTHubRegistryManager making the calls bench/service_sdk.py makes with the
official azure-iot-hub (same arguments, same JSON lines), one call at a time."""

import json
import sys
import time


def main() -> None:
    cs, ca_path, device_id, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    query = sys.argv[5] if len(sys.argv) > 5 else None
    with open(ca_path) as f:
        ca = f.read()
    from iothub_twin import IoTHubRegistryManager
    from iothub_twin.models import QuerySpecification, Twin, TwinProperties

    registry = IoTHubRegistryManager.from_connection_string(cs, server_verification_cert=ca)
    counter = {"n": 0}

    def update():
        counter["n"] += 1
        patch = Twin(properties=TwinProperties(desired={"power_level": counter["n"], "mode": "bench"}))
        registry.update_twin(device_id, patch, None)

    calls = [("get_twin", lambda: registry.get_twin(device_id)), ("update_twin", update)]
    if query:
        spec = QuerySpecification(query=query)
        calls.append(("query", lambda: registry.query_iot_hub(spec, None, 100)))
    for name, call in calls:
        for _ in range(3):
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
        print(json.dumps({
            "call": name,
            "calls": len(latencies),
            "seconds": round(elapsed, 2),
            "per_second": len(latencies) / elapsed,
            "p50_ms": latencies[len(latencies) // 2] * 1000,
        }), flush=True)


if __name__ == "__main__":
    main()
