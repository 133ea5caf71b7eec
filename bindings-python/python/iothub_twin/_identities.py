"""The registry manager's device and module identity updates and listings, as in
``azure.iot.hub.IoTHubRegistryManager`` (``update_device_with_*``, ``create_module_with_*``,
``update_module_with_*``, ``get_devices``, ``get_modules``). The requests are the core's; here
the official argument lists become the wire models.

As in the official SDK an ``etag`` of ``None`` updates whatever the hub holds (``*``).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, List, Optional, Union

from . import _loop
from .models import AuthenticationMechanism, Device, DeviceCapabilities, Module, SymmetricKey, X509Thumbprint

Scopes = Union[None, str, List[str]]


def _sas(primary_key: Optional[str], secondary_key: Optional[str]) -> AuthenticationMechanism:
    keys = SymmetricKey(primary_key=primary_key, secondary_key=secondary_key)
    return AuthenticationMechanism(type="sas", symmetric_key=keys)


def _x509(primary_thumbprint: Optional[str], secondary_thumbprint: Optional[str]) -> AuthenticationMechanism:
    thumbprint = X509Thumbprint(primary_thumbprint=primary_thumbprint, secondary_thumbprint=secondary_thumbprint)
    return AuthenticationMechanism(type="selfSigned", x509_thumbprint=thumbprint)


def _ca() -> AuthenticationMechanism:
    return AuthenticationMechanism(type="certificateAuthority")


class IdentityMethods:
    """Mixed into the aio ``IoTHubRegistryManager`` (which provides ``_client``)."""

    _client: Callable[[], Any]

    async def _update_device(self, device_id: str, etag: Optional[str], auth: AuthenticationMechanism,
                             status: Optional[str], iot_edge: bool, status_reason: Optional[str],
                             device_scope: Optional[str], parent_scopes: Scopes) -> Device:
        device = Device(
            device_id=device_id, etag=etag, status=status, authentication=auth,
            capabilities=DeviceCapabilities(iot_edge=iot_edge), status_reason=status_reason,
            device_scope=device_scope,
            parent_scopes=[parent_scopes] if isinstance(parent_scopes, str) else parent_scopes,
        )
        return Device.deserialize(await (await self._client()).update_device(device.serialize(), etag))

    async def update_device_with_sas(self, device_id: str, etag: Optional[str], primary_key: Optional[str],
                                     secondary_key: Optional[str], status: Optional[str], iot_edge: bool = False,
                                     status_reason: Optional[str] = None, device_scope: Optional[str] = None,
                                     parent_scopes: Scopes = None) -> Device:
        return await self._update_device(device_id, etag, _sas(primary_key, secondary_key), status, iot_edge,
                                         status_reason, device_scope, parent_scopes)

    async def update_device_with_x509(self, device_id: str, etag: Optional[str], primary_thumbprint: Optional[str],
                                      secondary_thumbprint: Optional[str], status: Optional[str],
                                      iot_edge: bool = False, status_reason: Optional[str] = None,
                                      device_scope: Optional[str] = None, parent_scopes: Scopes = None) -> Device:
        return await self._update_device(device_id, etag, _x509(primary_thumbprint, secondary_thumbprint), status,
                                         iot_edge, status_reason, device_scope, parent_scopes)

    async def update_device_with_certificate_authority(self, device_id: str, etag: Optional[str],
                                                       status: Optional[str], iot_edge: bool = False,
                                                       status_reason: Optional[str] = None,
                                                       device_scope: Optional[str] = None,
                                                       parent_scopes: Scopes = None) -> Device:
        return await self._update_device(device_id, etag, _ca(), status, iot_edge, status_reason, device_scope,
                                         parent_scopes)

    async def get_devices(self, max_number_of_devices: Optional[int] = None) -> List[Device]:
        devices = await (await self._client()).list_devices(max_number_of_devices)
        return [Device.deserialize(device) for device in devices]

    async def _put_module(self, device_id: str, module_id: str, managed_by: Optional[str],
                          auth: AuthenticationMechanism, etag: Optional[str] = None, create: bool = True) -> Module:
        module = Module(device_id=device_id, module_id=module_id, managed_by=managed_by, authentication=auth,
                        etag=etag)
        client = await self._client()
        answer = await (client.create_module(module.serialize()) if create
                        else client.update_module(module.serialize(), etag))
        return Module.deserialize(answer)

    async def create_module_with_x509(self, device_id: str, module_id: str, managed_by: Optional[str],
                                      primary_thumbprint: Optional[str],
                                      secondary_thumbprint: Optional[str]) -> Module:
        return await self._put_module(device_id, module_id, managed_by,
                                      _x509(primary_thumbprint, secondary_thumbprint))

    async def create_module_with_certificate_authority(self, device_id: str, module_id: str,
                                                       managed_by: Optional[str]) -> Module:
        return await self._put_module(device_id, module_id, managed_by, _ca())

    async def update_module_with_sas(self, device_id: str, module_id: str, managed_by: Optional[str],
                                     etag: Optional[str], primary_key: Optional[str],
                                     secondary_key: Optional[str]) -> Module:
        return await self._put_module(device_id, module_id, managed_by, _sas(primary_key, secondary_key), etag,
                                      create=False)

    async def update_module_with_x509(self, device_id: str, module_id: str, managed_by: Optional[str],
                                      etag: Optional[str], primary_thumbprint: Optional[str],
                                      secondary_thumbprint: Optional[str]) -> Module:
        return await self._put_module(device_id, module_id, managed_by,
                                      _x509(primary_thumbprint, secondary_thumbprint), etag, create=False)

    async def update_module_with_certificate_authority(self, device_id: str, module_id: str,
                                                       managed_by: Optional[str], etag: Optional[str]) -> Module:
        return await self._put_module(device_id, module_id, managed_by, _ca(), etag, create=False)

    async def get_modules(self, device_id: str) -> List[Module]:
        return [Module.deserialize(module) for module in await (await self._client()).list_modules(device_id)]


def _blocking(name: str) -> Callable[..., Any]:
    coroutine_function = getattr(IdentityMethods, name)

    @functools.wraps(coroutine_function)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _loop.run(getattr(self._aio, name)(*args, **kwargs))

    return call


class SyncIdentityMethods:
    """The same methods, blocking, for the sync manager (which holds the aio one as ``_aio``)."""


for _name in [n for n in vars(IdentityMethods) if not n.startswith("_")]:
    setattr(SyncIdentityMethods, _name, _blocking(_name))
