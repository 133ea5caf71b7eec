"""asyncio clients, as ``azure.iot.device.aio`` (and an aio ``IoTHubRegistryManager``)."""

from .._device import IoTHubDeviceClient, X509
from .._job_manager import IoTHubJobManager
from .._module_client import IoTHubModuleClient
from .._out_of_scope import module_getattr
from .._registry import IoTHubRegistryManager
from ..configuration_manager import AioIoTHubConfigurationManager as IoTHubConfigurationManager

__getattr__ = module_getattr(__name__)

__all__ = [
    "IoTHubConfigurationManager",
    "IoTHubDeviceClient",
    "IoTHubJobManager",
    "IoTHubModuleClient",
    "IoTHubRegistryManager",
    "X509",
]
