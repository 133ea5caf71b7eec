"""The asyncio registry manager, named like ``azure.iot.hub.IoTHubRegistryManager`` (twins,
devices, modules, queries); the sync one wraps it.

Trust store: an explicit ``server_verification_cert`` (PEM text), else the file named by
``REQUESTS_CA_BUNDLE`` or ``SSL_CERT_FILE`` (what the official package, built on requests, is
configured with), else the system's roots. Retries (429/503 with ``Retry-After``), deadlines and
error mapping are the Rust core's.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from typing import Any, Dict, List, Optional, Union

from . import _native
from ._identities import IdentityMethods
from ._out_of_scope import add_service_names
from .exceptions import InvalidArgumentError
from ._job_models import BulkRegistryOperationResult
from .models import (
    AuthenticationMechanism,
    Device,
    DeviceCapabilities,
    Model,
    Module,
    QueryResult,
    QuerySpecification,
    RegistryStatistics,
    ServiceStatistics,
    SymmetricKey,
    Twin,
    X509Thumbprint,
)

ENTRA_SCOPE = "https://iothubs.azure.net/.default"
# Ask the credential again when the token has less than this left (azure-core uses 300 s).
TOKEN_REFRESH_MARGIN_S = 300

TwinLike = Union[Twin, Dict[str, Any]]


def _trust(server_verification_cert: Optional[str]) -> Optional[str]:
    if server_verification_cert is not None:
        return server_verification_cert
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        path = os.environ.get(variable)
        if path:
            try:
                with open(path, encoding="ascii", errors="replace") as f:
                    return f.read()
            except OSError as e:
                raise InvalidArgumentError(f"{variable}={path!r} cannot be read: {e}") from e
    return None


def _wire(value: Any, what: str) -> Dict[str, Any]:
    if isinstance(value, Model):
        return value.serialize()
    if isinstance(value, dict):
        return value
    raise InvalidArgumentError(f"{what} must be a {Twin.__name__} model or a dict, not {type(value).__name__}")


def _scopes(parent_scopes: Union[None, str, List[str]]) -> Optional[List[str]]:
    return [parent_scopes] if isinstance(parent_scopes, str) else parent_scopes


@add_service_names
class IoTHubRegistryManager(IdentityMethods):
    """Service (back-end) client. Make one with ``from_connection_string`` or
    ``from_token_credential``."""

    def __init__(
        self,
        connection_string: Optional[str] = None,
        host: Optional[str] = None,
        token_credential: Any = None,
        *,
        server_verification_cert: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> None:
        ca_pem = _trust(server_verification_cert)
        self._credential = token_credential
        self._slot: Optional[_native.TokenSlot] = None
        self._expires_on = 0.0
        self._token_lock: Optional[asyncio.Lock] = None
        if connection_string is not None:
            self._native = _native.ServiceClient.from_connection_string(
                connection_string, ca_pem=ca_pem, timeout=timeout
            )
        elif host is not None and token_credential is not None:
            if not callable(getattr(token_credential, "get_token", None)):
                raise InvalidArgumentError("token_credential must have a get_token(scope) method")
            host = host.strip()
            for prefix in ("https://", "http://"):
                if host.lower().startswith(prefix):
                    host = host[len(prefix):]
            self._slot = _native.TokenSlot()
            self._native = _native.ServiceClient.with_token_slot(
                host.rstrip("/"), self._slot, ca_pem=ca_pem, timeout=timeout
            )
        else:
            raise InvalidArgumentError("give a connection string, or a host and a token credential")

    @classmethod
    def from_connection_string(
        cls, connection_string: str, transport_type: Any = None, **kwargs: Any
    ) -> "IoTHubRegistryManager":
        """A client for a service connection string (``HostName=…;SharedAccessKeyName=…;…``).
        ``transport_type`` picks the official SDK's AMQP or MQTT link for cloud-to-device
        messages, which iothub_twin does not send: twins and identities always go over HTTPS."""
        return cls(connection_string=connection_string, **kwargs)

    @classmethod
    def from_token_credential(cls, url: str, token_credential: Any, **kwargs: Any) -> "IoTHubRegistryManager":
        """A client for hub ``url`` authenticating with an azure-identity style credential
        (any object with ``get_token(scope)`` returning ``.token`` and ``.expires_on``)."""
        return cls(host=url, token_credential=token_credential, **kwargs)

    async def _client(self) -> _native.ServiceClient:
        if self._slot is not None and time.time() > self._expires_on - TOKEN_REFRESH_MARGIN_S:
            if self._token_lock is None:
                self._token_lock = asyncio.Lock()
            async with self._token_lock:
                if time.time() > self._expires_on - TOKEN_REFRESH_MARGIN_S:
                    await self._refresh_token()
        return self._native

    async def _refresh_token(self) -> None:
        get_token = self._credential.get_token
        if inspect.iscoroutinefunction(get_token):
            token = await get_token(ENTRA_SCOPE)
        else:
            # azure-identity's sync credentials block on the network: keep them off the loop.
            token = await asyncio.get_running_loop().run_in_executor(None, get_token, ENTRA_SCOPE)
        assert self._slot is not None
        self._slot.set(f"Bearer {token.token}")
        self._expires_on = float(token.expires_on)

    # ~~~ twins ~~~

    async def get_twin(self, device_id: str) -> Twin:
        return Twin.deserialize(await (await self._client()).get_twin(device_id))

    async def update_twin(self, device_id: str, device_twin: TwinLike, etag: Optional[str] = None) -> Twin:
        body = _wire(device_twin, "device_twin")
        return Twin.deserialize(await (await self._client()).update_twin(device_id, body, etag))

    async def replace_twin(self, device_id: str, device_twin: TwinLike, etag: Optional[str] = None) -> Twin:
        body = _wire(device_twin, "device_twin")
        return Twin.deserialize(await (await self._client()).replace_twin(device_id, body, etag))

    async def get_module_twin(self, device_id: str, module_id: str) -> Twin:
        return Twin.deserialize(await (await self._client()).get_module_twin(device_id, module_id))

    async def update_module_twin(
        self, device_id: str, module_id: str, module_twin: TwinLike, etag: Optional[str] = None
    ) -> Twin:
        body = _wire(module_twin, "module_twin")
        client = await self._client()
        return Twin.deserialize(await client.update_module_twin(device_id, module_id, body, etag))

    async def replace_module_twin(
        self, device_id: str, module_id: str, module_twin: TwinLike, etag: Optional[str] = None
    ) -> Twin:
        body = _wire(module_twin, "module_twin")
        client = await self._client()
        return Twin.deserialize(await client.replace_module_twin(device_id, module_id, body, etag))

    async def query_iot_hub(
        self,
        query_specification: Union[QuerySpecification, str],
        continuation_token: Optional[str] = None,
        max_item_count: Optional[int] = None,
    ) -> QueryResult:
        """One page of a twin query; pass the result's ``continuation_token`` for the next."""
        query = (
            query_specification.query
            if isinstance(query_specification, QuerySpecification)
            else query_specification
        )
        if not isinstance(query, str):
            raise InvalidArgumentError("query_specification must hold the query text")
        page_size = None if max_item_count is None else int(max_item_count)
        page = await (await self._client()).query(query, page_size, continuation_token)
        items = page["items"]
        if page["itemType"] == "twin":
            items = [Twin.deserialize(item) for item in items]
        # The hub's own `type` string, as the official SDK passes it through.
        return QueryResult(type=page["type"], items=items, continuation_token=page["continuationToken"])

    async def bulk_create_or_update_devices(self, devices: List[Any]) -> "BulkRegistryOperationResult":
        """Up to 100 ``ExportImportDevice`` items in one call; the result lists the failed ones."""
        items = [d.serialize() if isinstance(d, Model) else d for d in devices]
        fleet = _native.FleetClient.of(await self._client())
        return BulkRegistryOperationResult.deserialize(await fleet.bulk(items))

    # ~~~ devices and modules ~~~

    async def _create_device(
        self,
        device_id: str,
        status: Optional[str],
        authentication: AuthenticationMechanism,
        iot_edge: bool,
        status_reason: Optional[str],
        device_scope: Optional[str],
        parent_scopes: Union[None, str, List[str]],
    ) -> Device:
        device = Device(
            device_id=device_id,
            status=status,
            authentication=authentication,
            capabilities=DeviceCapabilities(iot_edge=iot_edge),
            status_reason=status_reason,
            device_scope=device_scope,
            parent_scopes=_scopes(parent_scopes),
        )
        return Device.deserialize(await (await self._client()).create_device(device.serialize()))

    async def create_device_with_sas(
        self,
        device_id: str,
        primary_key: Optional[str],
        secondary_key: Optional[str],
        status: Optional[str],
        iot_edge: bool = False,
        status_reason: Optional[str] = None,
        device_scope: Optional[str] = None,
        parent_scopes: Union[None, str, List[str]] = None,
    ) -> Device:
        keys = SymmetricKey(primary_key=primary_key, secondary_key=secondary_key)
        auth = AuthenticationMechanism(type="sas", symmetric_key=keys)
        return await self._create_device(
            device_id, status, auth, iot_edge, status_reason, device_scope, parent_scopes
        )

    async def create_device_with_x509(
        self,
        device_id: str,
        primary_thumbprint: Optional[str],
        secondary_thumbprint: Optional[str],
        status: Optional[str],
        iot_edge: bool = False,
        status_reason: Optional[str] = None,
        device_scope: Optional[str] = None,
        parent_scopes: Union[None, str, List[str]] = None,
    ) -> Device:
        thumbprint = X509Thumbprint(
            primary_thumbprint=primary_thumbprint, secondary_thumbprint=secondary_thumbprint
        )
        auth = AuthenticationMechanism(type="selfSigned", x509_thumbprint=thumbprint)
        return await self._create_device(
            device_id, status, auth, iot_edge, status_reason, device_scope, parent_scopes
        )

    async def create_device_with_certificate_authority(
        self,
        device_id: str,
        status: Optional[str],
        iot_edge: bool = False,
        status_reason: Optional[str] = None,
        device_scope: Optional[str] = None,
        parent_scopes: Union[None, str, List[str]] = None,
    ) -> Device:
        auth = AuthenticationMechanism(type="certificateAuthority")
        return await self._create_device(
            device_id, status, auth, iot_edge, status_reason, device_scope, parent_scopes
        )

    async def get_device(self, device_id: str) -> Device:
        return Device.deserialize(await (await self._client()).get_device(device_id))

    async def delete_device(self, device_id: str, etag: Optional[str] = None) -> None:
        await (await self._client()).delete_device(device_id, etag)

    async def create_module_with_sas(
        self,
        device_id: str,
        module_id: str,
        managed_by: Optional[str],
        primary_key: Optional[str],
        secondary_key: Optional[str],
    ) -> Module:
        keys = SymmetricKey(primary_key=primary_key, secondary_key=secondary_key)
        module = Module(
            device_id=device_id,
            module_id=module_id,
            managed_by=managed_by,
            authentication=AuthenticationMechanism(type="sas", symmetric_key=keys),
        )
        return Module.deserialize(await (await self._client()).create_module(module.serialize()))

    async def get_module(self, device_id: str, module_id: str) -> Module:
        return Module.deserialize(await (await self._client()).get_module(device_id, module_id))

    async def delete_module(self, device_id: str, module_id: str, etag: Optional[str] = None) -> None:
        await (await self._client()).delete_module(device_id, module_id, etag)

    # ~~~ statistics ~~~

    async def get_device_registry_statistics(self) -> RegistryStatistics:
        return RegistryStatistics.deserialize(await (await self._client()).get_device_registry_statistics())

    async def get_service_statistics(self) -> ServiceStatistics:
        return ServiceStatistics.deserialize(await (await self._client()).get_service_statistics())

    async def _shutdown_at_exit(self) -> None:
        return None
