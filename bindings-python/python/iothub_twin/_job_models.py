"""Job and bulk-registry models with azure-iot-hub's names (``JobRequest``, ``JobResponse``,
``ExportImportDevice``, ``BulkRegistryOperationResult``, …); re-exported by ``models``.

Times cross as ISO-8601 text; a ``datetime`` given as ``JobRequest.start_time`` is sent as ISO
text (msrest does the same).
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional, Type, TypeVar

from .models import AuthenticationMechanism, DeviceCapabilities, Model, Twin

M = TypeVar("M", bound=Model)


class CloudToDeviceMethod(Model):
    """A direct method of a ``scheduleDeviceMethod`` job (the emulator refuses those jobs)."""

    _attribute_map = {
        "method_name": ("methodName", None),
        "payload": ("payload", None),
        "response_timeout_in_seconds": ("responseTimeoutInSeconds", None),
        "connect_timeout_in_seconds": ("connectTimeoutInSeconds", None),
    }


class DeviceJobStatistics(Model):
    _attribute_map = {
        "device_count": ("deviceCount", None),
        "failed_count": ("failedCount", None),
        "succeeded_count": ("succeededCount", None),
        "running_count": ("runningCount", None),
        "pending_count": ("pendingCount", None),
    }


class JobRequest(Model):
    """``JobRequest(job_id=…, type="scheduleUpdateTwin", query_condition=…, update_twin=Twin(…),
    start_time=…, max_execution_time_in_seconds=…)``."""

    _attribute_map = {
        "job_id": ("jobId", None),
        "type": ("type", None),
        "cloud_to_device_method": ("cloudToDeviceMethod", CloudToDeviceMethod),
        "update_twin": ("updateTwin", Twin),
        "query_condition": ("queryCondition", None),
        "start_time": ("startTime", None),
        "max_execution_time_in_seconds": ("maxExecutionTimeInSeconds", None),
    }

    def serialize(self) -> Dict[str, Any]:
        out = super().serialize()
        start = out.get("startTime")
        if isinstance(start, datetime.datetime):
            if start.tzinfo is None:
                start = start.replace(tzinfo=datetime.timezone.utc)
            out["startTime"] = start.isoformat()
        return out


class JobResponse(Model):
    _attribute_map = {
        "job_id": ("jobId", None),
        "query_condition": ("queryCondition", None),
        "created_time": ("createdTime", None),
        "start_time": ("startTime", None),
        "end_time": ("endTime", None),
        "max_execution_time_in_seconds": ("maxExecutionTimeInSeconds", None),
        "type": ("type", None),
        "cloud_to_device_method": ("cloudToDeviceMethod", CloudToDeviceMethod),
        "update_twin": ("updateTwin", Twin),
        "status": ("status", None),
        "failure_reason": ("failureReason", None),
        "status_message": ("statusMessage", None),
        "device_job_statistics": ("deviceJobStatistics", DeviceJobStatistics),
    }


class PropertyContainer(Model):
    _attribute_map = {"desired": ("desired", None), "reported": ("reported", None)}


class ExportImportDevice(Model):
    """One item of ``bulk_create_or_update_devices``: ``import_mode`` is ``create``, ``update``,
    ``updateIfMatchETag``, ``delete``, ``deleteIfMatchETag``, ``updateTwin`` or
    ``updateTwinIfMatchETag``."""

    _attribute_map = {
        "id": ("id", None),
        "module_id": ("moduleId", None),
        "e_tag": ("eTag", None),
        "import_mode": ("importMode", None),
        "status": ("status", None),
        "status_reason": ("statusReason", None),
        "authentication": ("authentication", AuthenticationMechanism),
        "twin_etag": ("twinETag", None),
        "tags": ("tags", None),
        "properties": ("properties", PropertyContainer),
        "capabilities": ("capabilities", DeviceCapabilities),
        "device_scope": ("deviceScope", None),
        "parent_scopes": ("parentScopes", None),
    }


class DeviceRegistryOperationError(Model):
    _attribute_map = {
        "device_id": ("deviceId", None),
        "error_code": ("errorCode", None),
        "error_status": ("errorStatus", None),
        "module_id": ("moduleId", None),
        "operation": ("operation", None),
    }


class DeviceRegistryOperationWarning(Model):
    _attribute_map = {
        "device_id": ("deviceId", None),
        "warning_code": ("warningCode", None),
        "warning_status": ("warningStatus", None),
    }


def _list_of(model: Type[M], values: Optional[List[Any]]) -> Optional[List[M]]:
    if values is None:
        return None
    return [model.deserialize(v) if isinstance(v, dict) else v for v in values]


class BulkRegistryOperationResult(Model):
    _attribute_map = {
        "is_successful": ("isSuccessful", None),
        "errors": ("errors", None),
        "warnings": ("warnings", None),
    }

    @classmethod
    def deserialize(cls, data: Dict[str, Any]) -> "BulkRegistryOperationResult":
        result = super().deserialize(data)
        result.errors = _list_of(DeviceRegistryOperationError, data.get("errors"))
        result.warnings = _list_of(DeviceRegistryOperationWarning, data.get("warnings"))
        return result


__all__ = [
    "BulkRegistryOperationResult",
    "CloudToDeviceMethod",
    "DeviceJobStatistics",
    "DeviceRegistryOperationError",
    "DeviceRegistryOperationWarning",
    "ExportImportDevice",
    "JobRequest",
    "JobResponse",
    "PropertyContainer",
]
