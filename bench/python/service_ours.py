"""iothub_twin's IoTHubRegistryManager making the calls bench/service_sdk.py makes with the
official azure-iot-hub: the same measuring code (service_sdk.measure_calls), the same
arguments, the same JSON lines, one call at a time."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from service_sdk import measure_calls  # noqa: E402


def main() -> None:
    cs, ca_path, device_id, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    query = sys.argv[5] if len(sys.argv) > 5 else None
    with open(ca_path) as f:
        ca = f.read()
    from iothub_twin import IoTHubRegistryManager
    from iothub_twin.models import QuerySpecification, Twin, TwinProperties

    registry = IoTHubRegistryManager.from_connection_string(cs, server_verification_cert=ca)
    measure_calls(registry, Twin, TwinProperties, QuerySpecification, device_id, seconds, query)


if __name__ == "__main__":
    main()
