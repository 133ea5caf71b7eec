"""A local IoT Hub for your tests: the ``iothub-twin-emulator`` binary, started in memory on
free ports, with helpers to create identities and inject faults.

    from iothub_twin.testing import start_hub

    with start_hub() as hub:
        device_cs = hub.create_device("thermostat-1")
        ...                      # point your device app / back end at hub.service_connection_string
        hub.drop_connection("thermostat-1")

pytest users get the same as fixtures (``iothub_hub``, ``iothub_device``,
``iothub_fixed_port_hub``) from the plugin this package registers (``iothub_twin_pytest``). The
binary comes from the ``iothub-twin-emulator`` wheel, ``$IOTHUB_TWIN_EMULATOR`` or ``PATH``.

A feed of twin changes (``hub.twin_events()``) is not here yet: it comes with the emulator's
change feed.
"""

from ._hub import FAULTS, Hub, HubRequestError, start_hub
from ._process import FIXED_PORTS_LOCK, EmulatorFailed, EmulatorNotFound, find_emulator

__all__ = [
    "FAULTS",
    "FIXED_PORTS_LOCK",
    "EmulatorFailed",
    "EmulatorNotFound",
    "Hub",
    "HubRequestError",
    "find_emulator",
    "start_hub",
]
