"""Module twin clients, as ``azure.iot.device.IoTHubModuleClient`` (sync and aio): the device
client over a module identity (a connection string or SAS token naming ``ModuleId``, or an
X.509 certificate with ``module_id``). The twin is the module's; everything else is the same."""

from __future__ import annotations

from typing import Any

from . import _device, _native, _sync
from ._device import X509, _options
from ._out_of_scope import add_device_names


@add_device_names
class IoTHubModuleClient(_device.IoTHubDeviceClient):
    """asyncio module twin client (``azure.iot.device.aio.IoTHubModuleClient``)."""

    @classmethod
    def create_from_x509_certificate(  # type: ignore[override]
        cls, x509: X509, hostname: str, device_id: str, module_id: str, **kwargs: Any
    ) -> "IoTHubModuleClient":
        certificate_pem, private_key_pem = _device.read_x509(x509)
        options = _options(
            kwargs, excluded={"sastoken_ttl"}, certificate_pem=certificate_pem, private_key_pem=private_key_pem
        )
        credential = _native.Credential.x509(hostname, device_id, module_id)
        return cls(credential, options, kwargs.get("auto_connect", True))


@add_device_names
class SyncIoTHubModuleClient(_sync.IoTHubDeviceClient):
    """Sync module twin client (``azure.iot.device.IoTHubModuleClient``)."""

    @classmethod
    def create_from_connection_string(cls, connection_string: str, **kwargs: Any) -> "SyncIoTHubModuleClient":
        return cls(IoTHubModuleClient.create_from_connection_string(connection_string, **kwargs))

    @classmethod
    def create_from_sastoken(cls, sastoken: str, **kwargs: Any) -> "SyncIoTHubModuleClient":
        return cls(IoTHubModuleClient.create_from_sastoken(sastoken, **kwargs))

    @classmethod
    def create_from_x509_certificate(  # type: ignore[override]
        cls, x509: X509, hostname: str, device_id: str, module_id: str, **kwargs: Any
    ) -> "SyncIoTHubModuleClient":
        return cls(IoTHubModuleClient.create_from_x509_certificate(x509, hostname, device_id, module_id, **kwargs))


SyncIoTHubModuleClient.__name__ = SyncIoTHubModuleClient.__qualname__ = "IoTHubModuleClient"
