"""asyncio clients, as ``azure.iot.device.aio`` (and an aio ``IoTHubRegistryManager``)."""

from .._device import IoTHubDeviceClient, X509
from .._module_client import IoTHubModuleClient
from .._out_of_scope import module_getattr
from .._registry import IoTHubRegistryManager

__getattr__ = module_getattr(__name__)

__all__ = ["IoTHubDeviceClient", "IoTHubModuleClient", "IoTHubRegistryManager", "X509"]
