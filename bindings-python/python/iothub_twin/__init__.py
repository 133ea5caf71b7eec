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
from ._sync import IoTHubDeviceClient, IoTHubRegistryManager
from .configuration_manager import IoTHubConfigurationManager

_logging.start()

__all__ = [
    "IoTHubConfigurationManager",
    "IoTHubDeviceClient",
    "IoTHubRegistryManager",
    "X509",
    "exceptions",
    "models",
    "__version__",
]
