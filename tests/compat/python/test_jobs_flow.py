"""The official Python service SDK (azure-iot-hub 2.7.0) runs a bulk create and a scheduled
twin-update job against the emulator, and reads back what they wrote. Polls are bounded."""

import time
import uuid

from azure.iot.hub import IoTHubJobManager, IoTHubRegistryManager
from azure.iot.hub.models import ExportImportDevice, JobRequest, Twin, TwinProperties


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_bulk_create_then_a_twin_update_job(emulator):
    cs = emulator.connection_string
    registry = IoTHubRegistryManager.from_connection_string(cs)
    jobs = IoTHubJobManager.from_connection_string(cs)
    plant = new_id("plant")
    ids = [new_id("compat-job") for _ in range(3)]

    items = [ExportImportDevice(id=i, import_mode="create", status="enabled", tags={"plant": plant}) for i in ids]
    result = registry.bulk_create_or_update_devices(items)
    assert result.is_successful is True, result.errors
    for device_id in ids:
        assert registry.get_device(device_id).device_id == device_id
        assert registry.get_twin(device_id).tags == {"plant": plant}

    job_id = new_id("compat-rollout")
    request = JobRequest(
        job_id=job_id,
        type="scheduleUpdateTwin",
        query_condition=f"tags.plant = '{plant}'",
        update_twin=Twin(properties=TwinProperties(desired={"firmware": {"version": "2.0"}})),
        max_execution_time_in_seconds=600,
    )
    accepted = jobs.create_scheduled_job(job_id, request)
    assert accepted.job_id == job_id and accepted.type == "scheduleUpdateTwin"
    deadline = time.monotonic() + 30
    while True:
        job = jobs.get_scheduled_job(job_id)
        if job.status == "completed":
            break
        assert job.status in ("queued", "scheduled", "running"), job.status
        assert time.monotonic() < deadline, f"the job did not complete: {job.status}"
    stats = job.device_job_statistics
    assert (stats.device_count, stats.succeeded_count, stats.failed_count) == (3, 3, 0)
    for device_id in ids:
        desired = registry.get_twin(device_id).properties.desired
        assert desired["firmware"] == {"version": "2.0"}
        assert desired["$version"] == 2

    again = registry.bulk_create_or_update_devices([ExportImportDevice(id=ids[0], import_mode="create")])
    assert again.is_successful is False
    assert [(e.device_id, e.error_code) for e in again.errors] == [(ids[0], "DeviceAlreadyExists")]
