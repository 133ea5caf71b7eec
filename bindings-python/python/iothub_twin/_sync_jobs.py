"""The sync job manager over the aio one, each call run on the background loop (``_loop``)."""

from __future__ import annotations

from typing import Any, Optional

from . import _job_manager, _loop
from ._job_models import JobResponse
from .models import QueryResult


class IoTHubJobManager:
    """Sync scheduled jobs, like ``azure.iot.hub.IoTHubJobManager``."""

    def __init__(
        self,
        connection_string: Optional[str] = None,
        host: Optional[str] = None,
        token_credential: Any = None,
        **kwargs: Any,
    ) -> None:
        self._aio = _job_manager.IoTHubJobManager(connection_string, host, token_credential, **kwargs)

    @classmethod
    def from_connection_string(cls, connection_string: str, **kwargs: Any) -> "IoTHubJobManager":
        return cls(connection_string=connection_string, **kwargs)

    @classmethod
    def from_token_credential(cls, url: str, token_credential: Any, **kwargs: Any) -> "IoTHubJobManager":
        return cls(host=url, token_credential=token_credential, **kwargs)

    def create_scheduled_job(self, job_id: str, job_request: Any) -> JobResponse:
        return _loop.run(self._aio.create_scheduled_job(job_id, job_request))

    def get_scheduled_job(self, job_id: str) -> JobResponse:
        return _loop.run(self._aio.get_scheduled_job(job_id))

    def cancel_scheduled_job(self, job_id: str) -> JobResponse:
        return _loop.run(self._aio.cancel_scheduled_job(job_id))

    def query_scheduled_jobs(
        self,
        job_type: Optional[str] = None,
        job_status: Optional[str] = None,
        continuation_token: Optional[str] = None,
        max_item_count: Optional[int] = None,
    ) -> QueryResult:
        return _loop.run(self._aio.query_scheduled_jobs(job_type, job_status, continuation_token, max_item_count))

    def _not_supported(self, *args: Any) -> Any:
        return _loop.run(self._aio._not_supported(*args))

    create_import_export_job = _not_supported
    get_import_export_jobs = _not_supported
    get_import_export_job = _not_supported
    cancel_import_export_job = _not_supported
