"""A running emulator as a test sees it: connection strings, the CA, identities and faults.

Identities and faults go over the emulator's REST and control API (``/emulator/...``, see
emulator/openapi.json) with the ``--entra-token`` stand-in, through the standard library only,
so this works the same whichever SDK (ours or the official one) the code under test uses.
"""

from __future__ import annotations

import json
import secrets
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

from ._process import EmulatorProcess, FixedPortsLock, emulator_args, find_emulator

API_VERSION = "2021-04-12"
REQUEST_TIMEOUT_S = 30

# The control API's fault settings (emulator/openapi.json, FaultSettings), by Python name.
FAULTS = {
    "withhold_twin_responses": "withholdTwinResponses",
    "delay_twin_responses_ms": "delayTwinResponsesMs",
    "throttle_twin_requests": "throttleTwinRequests",
    "throttle_service_requests": "throttleServiceRequests",
    "refuse_connects": "refuseConnects",
}


class HubRequestError(RuntimeError):
    """A REST or control-API call to the emulator answered with an error status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body}")
        self.status = status
        self.body = body


class Hub:
    """A local IoT Hub (the emulator, in memory, on 127.0.0.1) for one test session.

    Start one with :func:`start_hub` (or the ``iothub_hub`` pytest fixture); stop it with
    :meth:`stop` or a ``with`` block.
    """

    def __init__(self, process: EmulatorProcess, entra_token: str, lock: Optional[FixedPortsLock]) -> None:
        self._process = process
        self._token = entra_token
        self._lock = lock
        ready = process.ready
        self.hostname: str = ready["hostname"]
        self.https_port: int = ready["https_port"]
        self.mqtt_port: int = ready["mqtt_port"]
        #: ``HostName=localhost[:port];SharedAccessKeyName=iothubowner;SharedAccessKey=…``
        self.service_connection_string: str = ready["service_connection_string"]
        #: Path of the CA certificate (PEM) clients must trust, e.g. for ``REQUESTS_CA_BUNDLE``.
        self.ca_cert_path: str = ready["ca_cert"]
        #: The same CA certificate as PEM text (``server_verification_cert=`` in both SDKs).
        self.ca_cert: str = Path(self.ca_cert_path).read_text()
        self._ssl = ssl.create_default_context(cafile=self.ca_cert_path)

    @property
    def pid(self) -> int:
        """The emulator's process id."""
        return self._process.pid

    @property
    def log_path(self) -> str:
        """The emulator's log (its stderr)."""
        return self._process.log_path

    def log_tail(self, lines: int = 40) -> str:
        return self._process.log_tail(lines)

    # Identities ---------------------------------------------------------------------------

    def create_device(
        self,
        device_id: str,
        *,
        primary_key: Optional[str] = None,
        secondary_key: Optional[str] = None,
        status: str = "enabled",
        edge: bool = False,
    ) -> str:
        """Creates a SAS device (keys generated unless given); returns its connection string."""
        body = {
            "deviceId": device_id,
            "status": status,
            "authentication": _sas(primary_key, secondary_key),
            "capabilities": {"iotEdge": edge},
        }
        created = self.request("PUT", f"/devices/{_quote(device_id)}", body)
        return self.device_connection_string(device_id, created["authentication"]["symmetricKey"]["primaryKey"])

    def create_module(
        self, device_id: str, module_id: str, *, primary_key: Optional[str] = None,
        secondary_key: Optional[str] = None,
    ) -> str:
        """Creates a SAS module of an existing device; returns its connection string."""
        body = {"deviceId": device_id, "moduleId": module_id, "authentication": _sas(primary_key, secondary_key)}
        created = self.request("PUT", f"/devices/{_quote(device_id)}/modules/{_quote(module_id)}", body)
        key = created["authentication"]["symmetricKey"]["primaryKey"]
        return self.device_connection_string(device_id, key, module_id=module_id)

    def delete_device(self, device_id: str) -> None:
        self.request("DELETE", f"/devices/{_quote(device_id)}", headers={"If-Match": "*"})

    def device_connection_string(self, device_id: str, key: str, module_id: Optional[str] = None) -> str:
        """``HostName=…;DeviceId=…[;ModuleId=…];SharedAccessKey=…``, with
        ``GatewayHostName=host:port`` when MQTT is not on 8883 (both SDKs honour it)."""
        text = f"HostName={self.hostname};DeviceId={device_id}"
        if module_id is not None:
            text += f";ModuleId={module_id}"
        text += f";SharedAccessKey={key}"
        if self.mqtt_port != 8883:
            text += f";GatewayHostName={self.hostname}:{self.mqtt_port}"
        return text

    # Faults (the control API) -------------------------------------------------------------

    def drop_connection(self, device_id: str, module_id: Optional[str] = None) -> None:
        """Closes the device's MQTT connection(s) as a network failure would (all its modules'
        unless ``module_id`` names one). Raises :class:`HubRequestError` (404) when it has none."""
        query = {} if module_id is None else {"moduleId": module_id}
        self.request("DELETE", f"/emulator/connections/{_quote(device_id)}", query=query)

    def connections(self) -> List[Dict[str, Any]]:
        """The open MQTT connections."""
        return self.request("GET", "/emulator/connections")

    def set_faults(self, device_id: Optional[str] = None, **faults: int) -> None:
        """Replaces the fault settings, e.g. ``set_faults(withhold_twin_responses=1)``; names:
        ``withhold_twin_responses``, ``delay_twin_responses_ms``, ``throttle_twin_requests``,
        ``throttle_service_requests``, ``refuse_connects``; ``device_id`` limits them to one
        device. Counters count down as faults are injected."""
        unknown = sorted(set(faults) - set(FAULTS))
        if unknown:
            raise TypeError(f"unknown fault {', '.join(unknown)}; known: {', '.join(FAULTS)}")
        body: Dict[str, Any] = {FAULTS[name]: value for name, value in faults.items()}
        body["deviceId"] = device_id
        self.request("PUT", "/emulator/faults", body)

    def clear_faults(self) -> None:
        self.request("PUT", "/emulator/faults", {})

    def faults(self) -> Dict[str, Any]:
        """The fault settings in force, as the control API returns them (camelCase)."""
        return self.request("GET", "/emulator/faults")

    # Plumbing -----------------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: Any = None, *, query: Optional[Dict[str, str]] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Any:
        """One REST or control-API call as the hub owner; the parsed JSON answer (or None)."""
        params = urllib.parse.urlencode({**(query or {}), "api-version": API_VERSION})
        request = urllib.request.Request(
            f"https://{self.hostname}:{self.https_port}{path}?{params}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, context=self._ssl, timeout=REQUEST_TIMEOUT_S) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise HubRequestError(method, path, error.code, error.read().decode(errors="replace")) from None
        return json.loads(text) if text else None

    def stop(self) -> None:
        """Stops the emulator (and releases the fixed ports, if it had them)."""
        try:
            self._process.stop()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def __enter__(self) -> "Hub":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_hub(
    *,
    fixed_ports: bool = False,
    devices: Optional[List[str]] = None,
    hostname: str = "localhost",
    binary: Optional[str] = None,
    log_path: Optional[str] = None,
    ready_timeout: float = 60.0,
) -> Hub:
    """Starts the emulator in memory on 127.0.0.1 and free ports.

    ``fixed_ports=True`` puts MQTT on 8883 and HTTPS/WebSockets on 443 instead, which the
    official device SDKs need (they cannot be given a port); it first takes an exclusive
    ``flock`` on ``/tmp/iothub-fixed-ports.lock`` (waiting for other holders), held until
    :meth:`Hub.stop`. Port 443 needs root or a low ``net.ipv4.ip_unprivileged_port_start``.
    """
    path = find_emulator(binary)
    lock = FixedPortsLock() if fixed_ports else None
    token = secrets.token_hex(16)
    https_port, mqtt_port = (443, 8883) if fixed_ports else (0, 0)
    try:
        args = emulator_args(path, hostname, https_port, mqtt_port, token, list(devices or []))
        process = EmulatorProcess(args, ready_timeout, log_path)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return Hub(process, token, lock)


def _sas(primary_key: Optional[str], secondary_key: Optional[str]) -> Dict[str, Any]:
    return {"type": "sas", "symmetricKey": {"primaryKey": primary_key, "secondaryKey": secondary_key}}


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")
