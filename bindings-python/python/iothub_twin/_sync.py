"""The sync clients: pure Python over the aio ones, each call run on the one background loop
(``_loop``), handlers run in a one-thread executor (in order, off the loop)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any, Dict, Iterator, List, Optional, Union

from . import _device, _loop, _registry
from .models import Device, Module, QueryResult, QuerySpecification, RegistryStatistics, ServiceStatistics, Twin
from ._device import Handler, X509
from ._identities import SyncIdentityMethods
from ._out_of_scope import add_device_names, add_service_names


@add_device_names
class IoTHubDeviceClient:
    """Sync twin client, like ``azure.iot.device.IoTHubDeviceClient``."""

    def __init__(self, client: _device.IoTHubDeviceClient) -> None:
        self._aio = client
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="iothub-twin-handler"
        )
        client._handler_executor = self._executor
        _loop.get().open_clients.add(self)

    @classmethod
    def create_from_connection_string(cls, connection_string: str, **kwargs: Any) -> "IoTHubDeviceClient":
        return cls(_device.IoTHubDeviceClient.create_from_connection_string(connection_string, **kwargs))

    @classmethod
    def create_from_sastoken(cls, sastoken: str, **kwargs: Any) -> "IoTHubDeviceClient":
        return cls(_device.IoTHubDeviceClient.create_from_sastoken(sastoken, **kwargs))

    @classmethod
    def create_from_symmetric_key(
        cls, symmetric_key: str, hostname: str, device_id: str, **kwargs: Any
    ) -> "IoTHubDeviceClient":
        return cls(_device.IoTHubDeviceClient.create_from_symmetric_key(symmetric_key, hostname, device_id, **kwargs))

    @classmethod
    def create_from_x509_certificate(
        cls, x509: X509, hostname: str, device_id: str, **kwargs: Any
    ) -> "IoTHubDeviceClient":
        return cls(
            _device.IoTHubDeviceClient.create_from_x509_certificate(x509, hostname, device_id, **kwargs)
        )

    def connect(self) -> None:
        _loop.run(self._aio.connect())

    def disconnect(self) -> None:
        _loop.run(self._aio.disconnect())

    def shutdown(self) -> None:
        _loop.run(self._aio.shutdown())
        self._executor.shutdown(wait=False)

    async def _shutdown_at_exit(self) -> None:
        await self._aio.shutdown()

    @property
    def connected(self) -> bool:
        return self._aio.connected

    def get_twin(self) -> Dict[str, Any]:
        return _loop.run(self._aio.get_twin())

    def patch_twin_reported_properties(self, reported_properties_patch: Dict[str, Any]) -> None:
        _loop.run(self._aio.patch_twin_reported_properties(reported_properties_patch))

    def receive_twin_desired_properties_patch(
        self, block: bool = True, timeout: Optional[float] = None
    ) -> Optional[Dict[str, Any]]:
        """The next desired patch; ``None`` when ``block`` is false and none is waiting, or
        after ``timeout`` seconds (as azure-iot-device)."""
        wait = None if block else 0.0
        if block and timeout is not None:
            wait = timeout

        async def receive() -> Optional[Dict[str, Any]]:
            patches = await self._aio._received_patches()
            try:
                return await asyncio.wait_for(patches.__anext__(), wait)
            except asyncio.TimeoutError:
                return None

        return _loop.run(receive())

    def desired_property_updates(self) -> Iterator[Dict[str, Any]]:
        """Desired patches from now on, blocking for each; ends at disconnect/shutdown."""
        stream = self._aio.desired_property_updates()

        async def next_patch() -> Dict[str, Any]:
            return await stream.__anext__()

        def patches() -> Iterator[Dict[str, Any]]:
            while True:
                try:
                    yield _loop.get().run(next_patch())
                except StopAsyncIteration:
                    return

        return patches()

    async def _set_handler(self, name: str, value: Handler) -> None:
        setattr(self._aio, name, value)

    @property
    def on_twin_desired_properties_patch_received(self) -> Handler:
        return self._aio.on_twin_desired_properties_patch_received

    @on_twin_desired_properties_patch_received.setter
    def on_twin_desired_properties_patch_received(self, value: Handler) -> None:
        _loop.run(self._set_handler("on_twin_desired_properties_patch_received", value))

    @property
    def on_connection_state_change(self) -> Handler:
        return self._aio.on_connection_state_change

    @on_connection_state_change.setter
    def on_connection_state_change(self, value: Handler) -> None:
        _loop.run(self._set_handler("on_connection_state_change", value))

    def update_sastoken(self, sastoken: str) -> None:
        _loop.run(self._aio.update_sastoken(sastoken))

    @property
    def on_new_sastoken_required(self) -> Handler:
        return self._aio.on_new_sastoken_required

    @on_new_sastoken_required.setter
    def on_new_sastoken_required(self, value: Handler) -> None:
        _loop.run(self._set_handler("on_new_sastoken_required", value))

    @property
    def on_background_exception(self) -> Handler:
        return self._aio.on_background_exception

    @on_background_exception.setter
    def on_background_exception(self, value: Handler) -> None:
        _loop.run(self._set_handler("on_background_exception", value))


TwinLike = Union[Twin, Dict[str, Any]]


@add_service_names
class IoTHubRegistryManager(SyncIdentityMethods):
    """Sync service client, like ``azure.iot.hub.IoTHubRegistryManager``."""

    def __init__(
        self,
        connection_string: Optional[str] = None,
        host: Optional[str] = None,
        token_credential: Any = None,
        **kwargs: Any,
    ) -> None:
        self._aio = _registry.IoTHubRegistryManager(connection_string, host, token_credential, **kwargs)

    @classmethod
    def from_connection_string(
        cls, connection_string: str, transport_type: Any = None, **kwargs: Any
    ) -> "IoTHubRegistryManager":
        return cls(connection_string=connection_string, **kwargs)

    @classmethod
    def from_token_credential(cls, url: str, token_credential: Any, **kwargs: Any) -> "IoTHubRegistryManager":
        return cls(host=url, token_credential=token_credential, **kwargs)

    def get_twin(self, device_id: str) -> Twin:
        return _loop.run(self._aio.get_twin(device_id))

    def update_twin(self, device_id: str, device_twin: TwinLike, etag: Optional[str] = None) -> Twin:
        return _loop.run(self._aio.update_twin(device_id, device_twin, etag))

    def replace_twin(self, device_id: str, device_twin: TwinLike, etag: Optional[str] = None) -> Twin:
        return _loop.run(self._aio.replace_twin(device_id, device_twin, etag))

    def get_module_twin(self, device_id: str, module_id: str) -> Twin:
        return _loop.run(self._aio.get_module_twin(device_id, module_id))

    def update_module_twin(
        self, device_id: str, module_id: str, module_twin: TwinLike, etag: Optional[str] = None
    ) -> Twin:
        return _loop.run(self._aio.update_module_twin(device_id, module_id, module_twin, etag))

    def replace_module_twin(
        self, device_id: str, module_id: str, module_twin: TwinLike, etag: Optional[str] = None
    ) -> Twin:
        return _loop.run(self._aio.replace_module_twin(device_id, module_id, module_twin, etag))

    def query_iot_hub(
        self,
        query_specification: Union[QuerySpecification, str],
        continuation_token: Optional[str] = None,
        max_item_count: Optional[int] = None,
    ) -> QueryResult:
        return _loop.run(self._aio.query_iot_hub(query_specification, continuation_token, max_item_count))

    def bulk_create_or_update_devices(self, devices: List[Any]) -> Any:
        return _loop.run(self._aio.bulk_create_or_update_devices(devices))

    def create_device_with_sas(self, device_id: str, primary_key: Optional[str], secondary_key: Optional[str],
                               status: Optional[str], iot_edge: bool = False, status_reason: Optional[str] = None,
                               device_scope: Optional[str] = None,
                               parent_scopes: Union[None, str, List[str]] = None) -> Device:
        return _loop.run(self._aio.create_device_with_sas(
            device_id, primary_key, secondary_key, status, iot_edge, status_reason, device_scope, parent_scopes))

    def create_device_with_x509(self, device_id: str, primary_thumbprint: Optional[str],
                                secondary_thumbprint: Optional[str], status: Optional[str], iot_edge: bool = False,
                                status_reason: Optional[str] = None, device_scope: Optional[str] = None,
                                parent_scopes: Union[None, str, List[str]] = None) -> Device:
        return _loop.run(self._aio.create_device_with_x509(
            device_id, primary_thumbprint, secondary_thumbprint, status, iot_edge, status_reason, device_scope,
            parent_scopes))

    def create_device_with_certificate_authority(self, device_id: str, status: Optional[str], iot_edge: bool = False,
                                                 status_reason: Optional[str] = None,
                                                 device_scope: Optional[str] = None,
                                                 parent_scopes: Union[None, str, List[str]] = None) -> Device:
        return _loop.run(self._aio.create_device_with_certificate_authority(
            device_id, status, iot_edge, status_reason, device_scope, parent_scopes))

    def get_device(self, device_id: str) -> Device:
        return _loop.run(self._aio.get_device(device_id))

    def delete_device(self, device_id: str, etag: Optional[str] = None) -> None:
        _loop.run(self._aio.delete_device(device_id, etag))

    def create_module_with_sas(self, device_id: str, module_id: str, managed_by: Optional[str],
                               primary_key: Optional[str], secondary_key: Optional[str]) -> Module:
        return _loop.run(self._aio.create_module_with_sas(device_id, module_id, managed_by, primary_key, secondary_key))

    def get_module(self, device_id: str, module_id: str) -> Module:
        return _loop.run(self._aio.get_module(device_id, module_id))

    def delete_module(self, device_id: str, module_id: str, etag: Optional[str] = None) -> None:
        _loop.run(self._aio.delete_module(device_id, module_id, etag))

    def get_device_registry_statistics(self) -> RegistryStatistics:
        return _loop.run(self._aio.get_device_registry_statistics())

    def get_service_statistics(self) -> ServiceStatistics:
        return _loop.run(self._aio.get_service_statistics())
