"""Automatic device configurations, named like ``azure.iot.hub.IoTHubConfigurationManager``:
``create_configuration``, ``get_configuration``, ``get_configurations``, ``update_configuration``,
``delete_configuration``, ``test_configuration_queries``. :class:`IoTHubConfigurationManager` is
the sync one; ``iothub_twin.aio.IoTHubConfigurationManager`` the asyncio one. Validation, retries
and error mapping are the Rust core's; this module only converts models.

``apply_configuration_on_edge_device`` (IoT Edge modules content) is outside the twin scope: it
raises ``OutOfScopeError`` at once, naming azure-iot-hub (the emulator answers it "not supported").
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from . import _loop, _registry
from ._out_of_scope import SERVICE_PACKAGE, OutOfScope
from .exceptions import InvalidArgumentError
from .models import Configuration, ConfigurationQueriesTestInput, ConfigurationQueriesTestResponse

ConfigurationLike = Union[Configuration, Dict[str, Any]]
QueriesLike = Union[ConfigurationQueriesTestInput, Dict[str, Any]]


def _body(value: Any, model: type, what: str) -> Dict[str, Any]:
    if isinstance(value, model):
        return value.serialize()
    if isinstance(value, dict):
        return value
    raise InvalidArgumentError(f"{what} must be a {model.__name__} model or a dict, not {type(value).__name__}")


class AioIoTHubConfigurationManager:
    """asyncio configuration manager. Make one with ``from_connection_string`` or
    ``from_token_credential`` (the same arguments as the registry manager)."""

    def __init__(self, connection_string: Optional[str] = None, host: Optional[str] = None,
                 token_credential: Any = None, **kwargs: Any) -> None:
        # The registry manager holds the native client and the token refresh; share them.
        self._registry = _registry.IoTHubRegistryManager(connection_string, host, token_credential, **kwargs)

    @classmethod
    def from_connection_string(cls, connection_string: str, **kwargs: Any) -> "AioIoTHubConfigurationManager":
        return cls(connection_string=connection_string, **kwargs)

    @classmethod
    def from_token_credential(cls, url: str, token_credential: Any, **kwargs: Any) -> "AioIoTHubConfigurationManager":
        return cls(host=url, token_credential=token_credential, **kwargs)

    async def get_configuration(self, configuration_id: str) -> Configuration:
        client = await self._registry._client()
        return Configuration.deserialize(await client.get_configuration(configuration_id))

    async def create_configuration(self, configuration: ConfigurationLike) -> Configuration:
        client = await self._registry._client()
        body = _body(configuration, Configuration, "configuration")
        return Configuration.deserialize(await client.create_configuration(body))

    async def update_configuration(self, configuration: ConfigurationLike, etag: Optional[str] = None) -> Configuration:
        client = await self._registry._client()
        body = _body(configuration, Configuration, "configuration")
        return Configuration.deserialize(await client.update_configuration(body, etag))

    async def delete_configuration(self, configuration_id: str, etag: Optional[str] = None) -> None:
        await (await self._registry._client()).delete_configuration(configuration_id, etag)

    async def get_configurations(self, max_count: Optional[int] = None) -> List[Configuration]:
        top = None if max_count is None else int(max_count)
        items = await (await self._registry._client()).get_configurations(top)
        return [Configuration.deserialize(item) for item in items]

    async def test_configuration_queries(
        self, configuration_queries_test_input: QueriesLike
    ) -> ConfigurationQueriesTestResponse:
        client = await self._registry._client()
        body = _body(configuration_queries_test_input, ConfigurationQueriesTestInput, "configuration_queries_test_input")
        return ConfigurationQueriesTestResponse.deserialize(await client.test_configuration_queries(body))

    apply_configuration_on_edge_device = OutOfScope("the IoT Edge environment", SERVICE_PACKAGE)


class IoTHubConfigurationManager:
    """Sync configuration manager, like ``azure.iot.hub.IoTHubConfigurationManager``."""

    def __init__(self, connection_string: Optional[str] = None, host: Optional[str] = None,
                 token_credential: Any = None, **kwargs: Any) -> None:
        self._aio = AioIoTHubConfigurationManager(connection_string, host, token_credential, **kwargs)

    @classmethod
    def from_connection_string(cls, connection_string: str, **kwargs: Any) -> "IoTHubConfigurationManager":
        return cls(connection_string=connection_string, **kwargs)

    @classmethod
    def from_token_credential(cls, url: str, token_credential: Any, **kwargs: Any) -> "IoTHubConfigurationManager":
        return cls(host=url, token_credential=token_credential, **kwargs)

    def get_configuration(self, configuration_id: str) -> Configuration:
        return _loop.run(self._aio.get_configuration(configuration_id))

    def create_configuration(self, configuration: ConfigurationLike) -> Configuration:
        return _loop.run(self._aio.create_configuration(configuration))

    def update_configuration(self, configuration: ConfigurationLike, etag: Optional[str] = None) -> Configuration:
        return _loop.run(self._aio.update_configuration(configuration, etag))

    def delete_configuration(self, configuration_id: str, etag: Optional[str] = None) -> None:
        _loop.run(self._aio.delete_configuration(configuration_id, etag))

    def get_configurations(self, max_count: Optional[int] = None) -> List[Configuration]:
        return _loop.run(self._aio.get_configurations(max_count))

    def test_configuration_queries(
        self, configuration_queries_test_input: QueriesLike
    ) -> ConfigurationQueriesTestResponse:
        return _loop.run(self._aio.test_configuration_queries(configuration_queries_test_input))

    apply_configuration_on_edge_device = OutOfScope("the IoT Edge environment", SERVICE_PACKAGE)
