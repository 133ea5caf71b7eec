"""IoTHubJobManager and bulk_create_or_update_devices, sync and aio (every test runs with both),
against the emulator (its job runner runs the jobs; tests poll with a bounded deadline)."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

import iothub_twin
import iothub_twin.aio
from iothub_twin.exceptions import InvalidArgumentError, ServiceError
from iothub_twin.models import (
    BulkRegistryOperationResult,
    ExportImportDevice,
    JobRequest,
    JobResponse,
    PropertyContainer,
    QueryResult,
    Twin,
    TwinProperties,
)


class AioAsSync:
    def __init__(self, manager) -> None:
        self._manager = manager

    def __getattr__(self, name):
        method = getattr(self._manager, name)
        return lambda *args, **kwargs: asyncio.run(method(*args, **kwargs))


def make(kind, cls_name, hub):
    module = iothub_twin if kind == "sync" else iothub_twin.aio
    manager = getattr(module, cls_name).from_connection_string(
        hub.service_cs, server_verification_cert=hub.ca_pem
    )
    return manager if kind == "sync" else AioAsSync(manager)


@pytest.fixture(params=["sync", "aio"])
def kind(request):
    return request.param


def new_id(prefix):
    return f"{prefix}-{secrets.token_hex(4)}"


def finished(jobs, job_id, timeout=30.0) -> JobResponse:
    deadline = time.monotonic() + timeout
    while True:
        job = jobs.get_scheduled_job(job_id)
        if job.status in ("completed", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {job!r}"


def test_bulk_create_then_a_twin_update_job(hub, kind):
    registry = make(kind, "IoTHubRegistryManager", hub)
    jobs = make(kind, "IoTHubJobManager", hub)
    plant = new_id("plant")
    ids = [new_id("pyjob") for _ in range(4)]
    items = [ExportImportDevice(id=i, import_mode="create", status="enabled", tags={"plant": plant}) for i in ids]
    result = registry.bulk_create_or_update_devices(items)
    assert isinstance(result, BulkRegistryOperationResult)
    assert result.is_successful is True and result.errors == []

    again = registry.bulk_create_or_update_devices(
        [ExportImportDevice(id=ids[0], import_mode="create"),
         ExportImportDevice(id=ids[1], import_mode="updateTwin",
                            properties=PropertyContainer(desired={"mode": "eco"}))]
    )
    assert again.is_successful is False
    assert [(e.device_id, e.error_code) for e in again.errors] == [(ids[0], "DeviceAlreadyExists")]
    assert registry.get_twin(ids[1]).properties.desired["mode"] == "eco"

    job_id = new_id("rollout")
    request = JobRequest(
        job_id=job_id,
        type="scheduleUpdateTwin",
        query_condition=f"tags.plant = '{plant}'",
        update_twin=Twin(properties=TwinProperties(desired={"firmware": {"version": "2.0"}})),
        start_time="2000-01-01T00:00:00Z",
        max_execution_time_in_seconds=600,
    )
    accepted = jobs.create_scheduled_job(job_id, request)
    assert isinstance(accepted, JobResponse) and accepted.job_id == job_id
    assert accepted.type == "scheduleUpdateTwin"
    done = finished(jobs, job_id)
    assert done.status == "completed"
    stats = done.device_job_statistics
    assert (stats.device_count, stats.succeeded_count, stats.failed_count) == (4, 4, 0)
    for device_id in ids:
        assert registry.get_twin(device_id).properties.desired["firmware"] == {"version": "2.0"}

    page = jobs.query_scheduled_jobs("scheduleUpdateTwin", "completed")
    assert isinstance(page, QueryResult)
    assert job_id in [job.job_id for job in page.items]


def test_a_future_job_is_scheduled_and_cancel_stops_it(hub, kind):
    jobs = make(kind, "IoTHubJobManager", hub)
    job_id = new_id("later")
    request = JobRequest(
        type="scheduleUpdateTwin",
        query_condition="tags.x = 1",
        update_twin=Twin(tags={"y": 2}),
        start_time="2999-01-01T00:00:00Z",
    )
    assert jobs.create_scheduled_job(job_id, request).status == "scheduled"
    with pytest.raises(ServiceError) as duplicate:
        jobs.create_scheduled_job(job_id, request)
    assert duplicate.value.status == 409 and duplicate.value.error_code == "JobAlreadyExists"
    assert jobs.cancel_scheduled_job(job_id).status == "cancelled"
    with pytest.raises(ServiceError) as missing:
        jobs.get_scheduled_job(new_id("nosuch"))
    assert missing.value.status == 404 and missing.value.error_code == "JobNotFound"
    bad = JobRequest(type="scheduleUpdateTwin", query_condition="tags.x = ", update_twin=Twin(tags={}))
    with pytest.raises(ServiceError) as refused:
        jobs.create_scheduled_job(new_id("bad"), bad)
    assert refused.value.status == 400 and refused.value.error_code == "ArgumentInvalid"
    with pytest.raises(InvalidArgumentError):
        jobs.create_import_export_job({})
