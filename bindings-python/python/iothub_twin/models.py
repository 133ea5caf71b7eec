"""Service models with the attribute names of ``azure.iot.hub.models`` (``device_id``, ``etag``,
``tags``, ``properties.desired``, …).

Each model maps attribute names to IoT Hub's wire names (camelCase); ``serialize()`` gives the
wire ``dict`` (``None`` attributes left out, as msrest does) and ``deserialize()`` builds a model
from one. ``as_dict()`` gives the attribute names instead.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Tuple, Type, TypeVar

M = TypeVar("M", bound="Model")


class Model:
    """Base: ``_attribute_map`` is ``{attribute: (wire_key, model class or None)}``."""

    _attribute_map: ClassVar[Dict[str, Tuple[str, Optional[Type["Model"]]]]] = {}

    def __init__(self, **kwargs: Any) -> None:
        unknown = set(kwargs) - set(self._attribute_map)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(unknown)}")
        for name in self._attribute_map:
            setattr(self, name, kwargs.get(name))

    def serialize(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for name, (key, _) in self._attribute_map.items():
            value = getattr(self, name, None)
            if value is not None:
                out[key] = _wire(value)
        return out

    def as_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for name in self._attribute_map:
            value = getattr(self, name, None)
            if value is not None:
                out[name] = value.as_dict() if isinstance(value, Model) else value
        return out

    @classmethod
    def deserialize(cls: Type[M], data: Dict[str, Any]) -> M:
        kwargs: Dict[str, Any] = {}
        for name, (key, model) in cls._attribute_map.items():
            value = data.get(key)
            if model is not None and isinstance(value, dict):
                value = model.deserialize(value)
            kwargs[name] = value
        return cls(**kwargs)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.as_dict() == other.as_dict()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.as_dict()!r})"


def _wire(value: Any) -> Any:
    if isinstance(value, Model):
        return value.serialize()
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


class TwinProperties(Model):
    """``desired`` and ``reported`` property dicts (with ``$version`` and ``$metadata``)."""

    desired: Optional[Dict[str, Any]]
    reported: Optional[Dict[str, Any]]
    _attribute_map = {"desired": ("desired", None), "reported": ("reported", None)}


class X509Thumbprint(Model):
    primary_thumbprint: Optional[str]
    secondary_thumbprint: Optional[str]
    _attribute_map = {
        "primary_thumbprint": ("primaryThumbprint", None),
        "secondary_thumbprint": ("secondaryThumbprint", None),
    }


class SymmetricKey(Model):
    primary_key: Optional[str]
    secondary_key: Optional[str]
    _attribute_map = {
        "primary_key": ("primaryKey", None),
        "secondary_key": ("secondaryKey", None),
    }


class AuthenticationMechanism(Model):
    """``type`` is ``"sas"``, ``"selfSigned"``, ``"certificateAuthority"`` or ``"none"``."""

    symmetric_key: Optional[SymmetricKey]
    x509_thumbprint: Optional[X509Thumbprint]
    type: Optional[str]
    _attribute_map = {
        "symmetric_key": ("symmetricKey", SymmetricKey),
        "x509_thumbprint": ("x509Thumbprint", X509Thumbprint),
        "type": ("type", None),
    }


class DeviceCapabilities(Model):
    iot_edge: Optional[bool]
    _attribute_map = {"iot_edge": ("iotEdge", None)}


class Twin(Model):
    """A device or module twin, as ``get_twin`` returns it and ``update_twin`` takes it."""

    device_id: Optional[str]
    module_id: Optional[str]
    tags: Optional[Dict[str, Any]]
    properties: Optional[TwinProperties]
    etag: Optional[str]
    version: Optional[int]
    device_etag: Optional[str]
    status: Optional[str]
    status_reason: Optional[str]
    status_update_time: Optional[str]
    connection_state: Optional[str]
    last_activity_time: Optional[str]
    cloud_to_device_message_count: Optional[int]
    authentication_type: Optional[str]
    x509_thumbprint: Optional[X509Thumbprint]
    capabilities: Optional[DeviceCapabilities]
    device_scope: Optional[str]
    parent_scopes: Optional[List[str]]
    model_id: Optional[str]
    _attribute_map = {
        "device_id": ("deviceId", None),
        "module_id": ("moduleId", None),
        "tags": ("tags", None),
        "properties": ("properties", TwinProperties),
        "etag": ("etag", None),
        "version": ("version", None),
        "device_etag": ("deviceEtag", None),
        "status": ("status", None),
        "status_reason": ("statusReason", None),
        "status_update_time": ("statusUpdateTime", None),
        "connection_state": ("connectionState", None),
        "last_activity_time": ("lastActivityTime", None),
        "cloud_to_device_message_count": ("cloudToDeviceMessageCount", None),
        "authentication_type": ("authenticationType", None),
        "x509_thumbprint": ("x509Thumbprint", X509Thumbprint),
        "capabilities": ("capabilities", DeviceCapabilities),
        "device_scope": ("deviceScope", None),
        "parent_scopes": ("parentScopes", None),
        "model_id": ("modelId", None),
    }


class Device(Model):
    """A device identity of the registry."""

    device_id: Optional[str]
    generation_id: Optional[str]
    etag: Optional[str]
    connection_state: Optional[str]
    status: Optional[str]
    status_reason: Optional[str]
    connection_state_updated_time: Optional[str]
    status_updated_time: Optional[str]
    last_activity_time: Optional[str]
    cloud_to_device_message_count: Optional[int]
    authentication: Optional[AuthenticationMechanism]
    capabilities: Optional[DeviceCapabilities]
    device_scope: Optional[str]
    parent_scopes: Optional[List[str]]
    _attribute_map = {
        "device_id": ("deviceId", None),
        "generation_id": ("generationId", None),
        "etag": ("etag", None),
        "connection_state": ("connectionState", None),
        "status": ("status", None),
        "status_reason": ("statusReason", None),
        "connection_state_updated_time": ("connectionStateUpdatedTime", None),
        "status_updated_time": ("statusUpdatedTime", None),
        "last_activity_time": ("lastActivityTime", None),
        "cloud_to_device_message_count": ("cloudToDeviceMessageCount", None),
        "authentication": ("authentication", AuthenticationMechanism),
        "capabilities": ("capabilities", DeviceCapabilities),
        "device_scope": ("deviceScope", None),
        "parent_scopes": ("parentScopes", None),
    }


class Module(Model):
    """A module identity of the registry."""

    module_id: Optional[str]
    managed_by: Optional[str]
    device_id: Optional[str]
    generation_id: Optional[str]
    etag: Optional[str]
    connection_state: Optional[str]
    connection_state_updated_time: Optional[str]
    last_activity_time: Optional[str]
    cloud_to_device_message_count: Optional[int]
    authentication: Optional[AuthenticationMechanism]
    _attribute_map = {
        "module_id": ("moduleId", None),
        "managed_by": ("managedBy", None),
        "device_id": ("deviceId", None),
        "generation_id": ("generationId", None),
        "etag": ("etag", None),
        "connection_state": ("connectionState", None),
        "connection_state_updated_time": ("connectionStateUpdatedTime", None),
        "last_activity_time": ("lastActivityTime", None),
        "cloud_to_device_message_count": ("cloudToDeviceMessageCount", None),
        "authentication": ("authentication", AuthenticationMechanism),
    }


class QuerySpecification(Model):
    """``QuerySpecification(query="SELECT * FROM devices")``."""

    query: Optional[str]
    _attribute_map = {"query": ("query", None)}


class QueryResult:
    """One page of a query: ``type`` (``"twin"`` or ``"raw"``…), ``items`` (:class:`Twin`
    models for twin pages, dicts otherwise) and ``continuation_token`` (``None`` on the last
    page)."""

    def __init__(
        self,
        type: Optional[str] = None,
        items: Optional[List[Any]] = None,
        continuation_token: Optional[str] = None,
    ) -> None:
        self.type = type
        self.items = items
        self.continuation_token = continuation_token

    def __repr__(self) -> str:
        return (
            f"QueryResult(type={self.type!r}, items={self.items!r}, "
            f"continuation_token={self.continuation_token!r})"
        )


class ConfigurationContent(Model):
    """``device_content``: ``{"properties.desired.<path>": value}`` (modules content is not
    supported by the emulator)."""

    device_content: Optional[Dict[str, Any]]
    modules_content: Optional[Dict[str, Any]]
    module_content: Optional[Dict[str, Any]]
    _attribute_map = {
        "device_content": ("deviceContent", None),
        "modules_content": ("modulesContent", None),
        "module_content": ("moduleContent", None),
    }


class ConfigurationMetrics(Model):
    """Metric ``queries`` by name and their ``results`` (counts of twins)."""

    results: Optional[Dict[str, int]]
    queries: Optional[Dict[str, str]]
    _attribute_map = {"results": ("results", None), "queries": ("queries", None)}


class Configuration(Model):
    """An automatic device configuration."""

    id: Optional[str]
    schema_version: Optional[str]
    labels: Optional[Dict[str, str]]
    content: Optional[ConfigurationContent]
    target_condition: Optional[str]
    created_time_utc: Optional[str]
    last_updated_time_utc: Optional[str]
    priority: Optional[int]
    system_metrics: Optional[ConfigurationMetrics]
    metrics: Optional[ConfigurationMetrics]
    etag: Optional[str]
    _attribute_map = {
        "id": ("id", None),
        "schema_version": ("schemaVersion", None),
        "labels": ("labels", None),
        "content": ("content", ConfigurationContent),
        "target_condition": ("targetCondition", None),
        "created_time_utc": ("createdTimeUtc", None),
        "last_updated_time_utc": ("lastUpdatedTimeUtc", None),
        "priority": ("priority", None),
        "system_metrics": ("systemMetrics", ConfigurationMetrics),
        "metrics": ("metrics", ConfigurationMetrics),
        "etag": ("etag", None),
    }


class ConfigurationQueriesTestInput(Model):
    """A target condition and custom metric queries to check."""

    target_condition: Optional[str]
    custom_metric_queries: Optional[Dict[str, str]]
    _attribute_map = {
        "target_condition": ("targetCondition", None),
        "custom_metric_queries": ("customMetricQueries", None),
    }


class ConfigurationQueriesTestResponse(Model):
    """What is wrong with the checked queries (empty when they are valid)."""

    target_condition_error: Optional[str]
    custom_metric_query_errors: Optional[Dict[str, str]]
    _attribute_map = {
        "target_condition_error": ("targetConditionError", None),
        "custom_metric_query_errors": ("customMetricQueryErrors", None),
    }


class RegistryStatistics(Model):
    """Device counts of the registry."""

    total_device_count: Optional[int]
    enabled_device_count: Optional[int]
    disabled_device_count: Optional[int]
    _attribute_map = {
        "total_device_count": ("totalDeviceCount", None),
        "enabled_device_count": ("enabledDeviceCount", None),
        "disabled_device_count": ("disabledDeviceCount", None),
    }


class ServiceStatistics(Model):
    """Connected devices."""

    connected_device_count: Optional[int]
    _attribute_map = {"connected_device_count": ("connectedDeviceCount", None)}


__all__ = [
    "AuthenticationMechanism",
    "Configuration",
    "ConfigurationContent",
    "ConfigurationMetrics",
    "ConfigurationQueriesTestInput",
    "ConfigurationQueriesTestResponse",
    "Device",
    "DeviceCapabilities",
    "Model",
    "Module",
    "QueryResult",
    "QuerySpecification",
    "RegistryStatistics",
    "ServiceStatistics",
    "SymmetricKey",
    "Twin",
    "TwinProperties",
    "X509Thumbprint",
]

# Job and bulk-registry models live in their own file; imported last (they build on the above).
from ._job_models import *  # noqa: E402,F401,F403
from ._job_models import __all__ as _job_model_names  # noqa: E402

__all__ += _job_model_names
