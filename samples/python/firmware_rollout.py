# A fleet firmware rollout with a scheduled twin-update job (iothub_twin, named like
# azure-iot-device / azure-iot-hub): the back end tags the fleet as plant Redmond43 in one bulk
# call, schedules a job setting desired firmware.version on every device there, follows the job
# and a GROUP BY over properties.reported.firmware.status until every device reports "done".
# The devices (one client each) report "applying", then "done", as they receive the patch.
#
#   [FIRMWARE_VERSION=2.1] python samples/python/firmware_rollout.py SERVICE_CS DEVICE_CS [DEVICE_CS ...]
import os
import sys
import time

from iothub_twin import IoTHubDeviceClient, IoTHubJobManager, IoTHubRegistryManager
from iothub_twin.models import ExportImportDevice, JobRequest, QuerySpecification, Twin, TwinProperties

FIRMWARE = os.environ.get("FIRMWARE_VERSION", "2.0")
# Devices that report this version, by status: "applying" first, then "done".
STATUS_QUERY = (
    "SELECT properties.reported.firmware.status AS status, COUNT() AS devices FROM devices "
    f"WHERE tags.plant = 'Redmond43' AND properties.reported.firmware.version = '{FIRMWARE}' "
    "GROUP BY properties.reported.firmware.status"
)


def start_device(connection_string):
    client = IoTHubDeviceClient.create_from_connection_string(connection_string)

    def on_desired(patch):
        version = (patch.get("firmware") or {}).get("version")
        if version:
            client.patch_twin_reported_properties({"firmware": {"version": version, "status": "applying"}})
            client.patch_twin_reported_properties({"firmware": {"version": version, "status": "done"}})

    client.on_twin_desired_properties_patch_received = on_desired
    client.connect()
    return client


def device_id(connection_string):
    fields = dict(part.split("=", 1) for part in connection_string.split(";"))
    return fields["DeviceId"]


def wait(what, check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.2)


def main():
    service_cs, device_css = sys.argv[1], sys.argv[2:]
    devices = [start_device(cs) for cs in device_css]
    ids = [device_id(cs) for cs in device_css]
    registry = IoTHubRegistryManager.from_connection_string(service_cs)
    jobs = IoTHubJobManager.from_connection_string(service_cs)

    tagged = registry.bulk_create_or_update_devices(
        [ExportImportDevice(id=i, import_mode="updateTwin", tags={"plant": "Redmond43"}) for i in ids]
    )
    print(f"tagged {len(ids)} devices as plant Redmond43 in one bulk call: success={tagged.is_successful}")

    job_id = f"firmware-{FIRMWARE}-{int(time.time())}"
    request = JobRequest(
        job_id=job_id,
        type="scheduleUpdateTwin",
        query_condition="tags.plant = 'Redmond43'",
        update_twin=Twin(properties=TwinProperties(desired={"firmware": {"version": FIRMWARE}})),
        max_execution_time_in_seconds=600,
    )
    print(f"job {job_id}: {jobs.create_scheduled_job(job_id, request).status}")

    def job_done():
        job = jobs.get_scheduled_job(job_id)
        stats = job.device_job_statistics
        print(f"job {job_id}: {job.status}, {stats.succeeded_count}/{stats.device_count} devices patched")
        return job.status in ("completed", "failed", "cancelled")

    wait("the job", job_done)

    def all_reported_done():
        groups = registry.query_iot_hub(QuerySpecification(query=STATUS_QUERY)).items
        print("firmware.status: " + ", ".join(f"{g.get('status', 'none')}={g['devices']}" for g in groups))
        return any(g.get("status") == "done" and g["devices"] == len(ids) for g in groups)

    wait("every device to report done", all_reported_done)
    for device in devices:
        device.shutdown()
    print(f"firmware {FIRMWARE} rolled out to every device in Redmond43")


if __name__ == "__main__":
    main()
