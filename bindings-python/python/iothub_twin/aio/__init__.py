"""asyncio clients, as ``azure.iot.device.aio`` (and an aio ``IoTHubRegistryManager``)."""

from .._device import IoTHubDeviceClient, X509
from .._registry import IoTHubRegistryManager
from ..configuration_manager import AioIoTHubConfigurationManager as IoTHubConfigurationManager

__all__ = ["IoTHubConfigurationManager", "IoTHubDeviceClient", "IoTHubRegistryManager", "X509"]
