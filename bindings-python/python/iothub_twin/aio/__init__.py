"""asyncio clients, as ``azure.iot.device.aio`` (and an aio ``IoTHubRegistryManager``)."""

from .._device import IoTHubDeviceClient, X509
from .._registry import IoTHubRegistryManager

__all__ = ["IoTHubDeviceClient", "IoTHubRegistryManager", "X509"]
