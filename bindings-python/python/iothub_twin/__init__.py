"""Azure IoT Hub device twins on a Rust core, named like ``azure-iot-device`` and
``azure-iot-hub`` so their twin code runs with only the imports changed.

* ``iothub_twin.IoTHubDeviceClient`` / ``iothub_twin.aio.IoTHubDeviceClient``: device twins.
* ``iothub_twin.IoTHubRegistryManager`` / ``iothub_twin.aio.IoTHubRegistryManager``: service.
* ``iothub_twin.IoTHubConfigurationManager`` / ``iothub_twin.aio.IoTHubConfigurationManager``:
  automatic device configurations.
* ``iothub_twin.models``: ``Twin``, ``TwinProperties``, ``QuerySpecification``, ``QueryResult``.
* ``iothub_twin.exceptions``: ``ClientError``, ``CredentialError``, ``ServiceError``, …

Logs go to the ``logging`` logger ``iothub_twin``; ``IOTHUB_TWIN_LOG`` (e.g. ``debug``) sets
what the native core records.
"""

from . import _logging, exceptions, models
from ._device import X509
from ._native import __version__
from ._module_client import SyncIoTHubModuleClient as IoTHubModuleClient
from ._out_of_scope import module_getattr
from ._proxy import ProxyOptions
from ._sync import IoTHubDeviceClient, IoTHubRegistryManager
from ._sync_jobs import IoTHubJobManager
from .configuration_manager import IoTHubConfigurationManager

# Message, MethodRequest, MethodResponse: not twins, so importing them fails with a pointer.
__getattr__ = module_getattr(__name__)

_logging.start()

__all__ = [
    "IoTHubConfigurationManager",
    "IoTHubDeviceClient",
    "IoTHubJobManager",
    "IoTHubModuleClient",
    "IoTHubRegistryManager",
    "ProxyOptions",
    "X509",
    "exceptions",
    "models",
    "__version__",
]
