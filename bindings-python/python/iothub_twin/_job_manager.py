"""The asyncio job manager, named like ``azure.iot.hub.IoTHubJobManager``: scheduled twin-update
jobs over the hub a registry manager's credential reaches (the sync one wraps it)."""

from __future__ import annotations

from typing import Any, Optional

from . import _native, _registry
from ._job_models import JobRequest, JobResponse
from .exceptions import InvalidArgumentError
from .models import Model, QueryResult


def _fleet(client: _native.ServiceClient) -> _native.FleetClient:
    return _native.FleetClient.of(client)


class IoTHubJobManager:
    """Scheduled jobs. Make one with ``from_connection_string`` or ``from_token_credential``."""

    def __init__(
        self,
        connection_string: Optional[str] = None,
        host: Optional[str] = None,
        token_credential: Any = None,
        **kwargs: Any,
    ) -> None:
        self._registry = _registry.IoTHubRegistryManager(connection_string, host, token_credential, **kwargs)

    @classmethod
    def from_connection_string(cls, connection_string: str, **kwargs: Any) -> "IoTHubJobManager":
        return cls(connection_string=connection_string, **kwargs)

    @classmethod
    def from_token_credential(cls, url: str, token_credential: Any, **kwargs: Any) -> "IoTHubJobManager":
        return cls(host=url, token_credential=token_credential, **kwargs)

    async def create_scheduled_job(self, job_id: str, job_request: Any) -> JobResponse:
        body = job_request.serialize() if isinstance(job_request, Model) else dict(job_request)
        body["jobId"] = job_id
        fleet = _fleet(await self._registry._client())
        return JobResponse.deserialize(await fleet.create_job(body))

    async def get_scheduled_job(self, job_id: str) -> JobResponse:
        fleet = _fleet(await self._registry._client())
        return JobResponse.deserialize(await fleet.get_job(job_id))

    async def cancel_scheduled_job(self, job_id: str) -> JobResponse:
        fleet = _fleet(await self._registry._client())
        return JobResponse.deserialize(await fleet.cancel_job(job_id))

    async def query_scheduled_jobs(
        self,
        job_type: Optional[str] = None,
        job_status: Optional[str] = None,
        continuation_token: Optional[str] = None,
        max_item_count: Optional[int] = None,
    ) -> QueryResult:
        """One page of jobs (``items`` are :class:`JobResponse`); pass the result's
        ``continuation_token`` for the next."""
        fleet = _fleet(await self._registry._client())
        page = await fleet.query_jobs(job_type, job_status, max_item_count, continuation_token)
        items = [JobResponse.deserialize(item) for item in page["items"]]
        return QueryResult(type="jobResponse", items=items, continuation_token=page["continuationToken"])

    async def _not_supported(self, *_: Any) -> Any:
        raise InvalidArgumentError("import and export jobs are not supported by this package")

    create_import_export_job = _not_supported
    get_import_export_jobs = _not_supported
    get_import_export_job = _not_supported
    cancel_import_export_job = _not_supported


__all__ = ["IoTHubJobManager", "JobRequest"]
