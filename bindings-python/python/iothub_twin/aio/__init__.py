"""asyncio clients, as ``azure.iot.device.aio`` (and an aio ``IoTHubRegistryManager``)."""

from .._device import IoTHubDeviceClient, X509
from .._job_manager import IoTHubJobManager
from .._registry import IoTHubRegistryManager

__all__ = ["IoTHubDeviceClient", "IoTHubJobManager", "IoTHubRegistryManager", "X509"]
