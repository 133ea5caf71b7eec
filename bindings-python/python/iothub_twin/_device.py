"""The asyncio device client, named and behaving like ``azure.iot.device.aio.IoTHubDeviceClient``
for twins; the sync client (``iothub_twin.IoTHubDeviceClient``) wraps it.

Behaviour comes from the Rust core: every call has a deadline, reconnects back off and
re-subscribe, after a reconnect exactly one desired patch holds what changed meanwhile, SAS
tokens renew, and reported patches made while offline wait (bounded) and go out in order.

Handlers run on the caller's event loop (aio) or in an executor (sync), never on a Rust
thread: a task per handler iterates the native async stream and calls the handler.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from typing import Any, AsyncIterator, Callable, Dict, Optional, Tuple

from . import _native
from ._handlers import call_handler as _call_handler
from ._out_of_scope import add_device_names
from ._proxy import ProxyOptions
from ._sastoken import SasTokenMethods
from .exceptions import (
    ClientClosedError,
    ClientError,
    ConnectionFailedError,
    InvalidArgumentError,
    NoConnectionError,
)

Handler = Optional[Callable[..., Any]]

# Keyword arguments of azure-iot-device's create_* methods that apply here; defaults and rules
# are the core's (a keyword left out keeps the core's default). connection_retry_interval caps
# the core's exponential reconnect backoff; the core always resyncs desired properties after a
# reconnect, so ensure_desired_properties is accepted and has no effect.
_COMMON_KWARGS = {
    "server_verification_cert",
    "gateway_hostname",
    "websockets",
    "product_info",
    "keep_alive",
    "auto_connect",
    "connection_retry",
    "connection_retry_interval",
    "ensure_desired_properties",
    "cipher",
    "proxy_options",
    # iothub_twin's own
    "operation_timeout",
    "model_id",
    "offline_queue_capacity",
}


class X509:
    """A client certificate (file), its key (file) and an optional pass phrase, as
    ``azure.iot.device.X509``. Encrypted keys (a pass phrase) are not supported."""

    def __init__(self, cert_file: str, key_file: str, pass_phrase: Optional[str] = None) -> None:
        self._cert_file = cert_file
        self._key_file = key_file
        self._pass_phrase = pass_phrase

    @property
    def certificate_file(self) -> str:
        return self._cert_file

    @property
    def key_file(self) -> str:
        return self._key_file

    @property
    def pass_phrase(self) -> Optional[str]:
        return self._pass_phrase


def _options(kwargs: Dict[str, Any], excluded: set, **pem: str) -> _native.DeviceOptions:
    for name in kwargs:
        if name not in _COMMON_KWARGS | {"sastoken_ttl"} or name in excluded:
            raise TypeError(f"Unsupported keyword argument: '{name}'")
    if kwargs.get("cipher"):
        raise InvalidArgumentError("cipher is not supported: TLS uses rustls' safe defaults")
    proxy = kwargs.get("proxy_options")
    if proxy is not None and not isinstance(proxy, ProxyOptions):
        raise InvalidArgumentError("proxy_options must be a ProxyOptions")
    native = {name: kwargs.get(name) for name in _NATIVE_OPTIONS}
    return _native.DeviceOptions(
        gateway_host_name=kwargs.get("gateway_hostname"), product_info=kwargs.get("product_info") or None,
        proxy=None if proxy is None else proxy._native(), **native, **pem
    )


# Passed to the native options as they are.
_NATIVE_OPTIONS = (
    "server_verification_cert", "websockets", "keep_alive", "sastoken_ttl", "operation_timeout",
    "model_id", "offline_queue_capacity", "connection_retry", "connection_retry_interval",
)


def read_x509(x509: X509) -> Tuple[str, str]:
    """The certificate and key PEM files' text."""
    if x509.pass_phrase:
        raise InvalidArgumentError("encrypted private keys (pass_phrase) are not supported")
    with open(x509.certificate_file, encoding="ascii") as f:
        certificate_pem = f.read()
    with open(x509.key_file, encoding="ascii") as f:
        private_key_pem = f.read()
    return certificate_pem, private_key_pem


@add_device_names
class IoTHubDeviceClient(SasTokenMethods):
    """A device (or module) twin client. Make one with a ``create_from_*`` class method."""

    def __init__(
        self, credential: _native.Credential, options: _native.DeviceOptions, auto_connect: bool = True
    ) -> None:
        self._credential = credential
        self._options = options
        self._auto_connect = auto_connect
        self._native: Optional[_native.DeviceClient] = None
        self._connecting: Optional[asyncio.Future] = None
        self._is_shut_down = False
        self._desired_handler: Handler = None
        self._state_handler: Handler = None
        self._background_handler: Handler = None
        self._desired_queue: Optional[AsyncIterator[Dict[str, Any]]] = None
        self._tasks: Dict[str, asyncio.Task] = {}
        # Set by the sync client: handlers then run in this executor, off the loop.
        self._handler_executor: Optional[concurrent.futures.Executor] = None

    # ~~~ construction (as azure-iot-device) ~~~

    @classmethod
    def create_from_connection_string(cls, connection_string: str, **kwargs: Any) -> "IoTHubDeviceClient":
        """A client for a device connection string (``HostName=…;DeviceId=…;SharedAccessKey=…``)."""
        options = _options(kwargs, excluded={"gateway_hostname"})
        if _native.parse_device_connection_string(connection_string):
            raise InvalidArgumentError(
                "Use the .create_from_x509_certificate() method instead when using X509 certificates"
            )
        credential = _native.Credential.connection_string(connection_string)
        return cls(credential, options, kwargs.get("auto_connect", True))

    @classmethod
    def create_from_symmetric_key(
        cls, symmetric_key: str, hostname: str, device_id: str, **kwargs: Any
    ) -> "IoTHubDeviceClient":
        """A client for a device's symmetric key (base64); the core signs and renews its SAS
        tokens (``sastoken_ttl`` seconds each)."""
        return cls._from_key(symmetric_key, hostname, device_id, None, kwargs)

    @classmethod
    def _from_key(
        cls, key: str, hostname: str, device_id: str, module_id: Optional[str], kwargs: Dict[str, Any]
    ) -> "IoTHubDeviceClient":
        options = _options(kwargs, excluded=set())
        # The core's one credential parser takes the parts as a connection string.
        parts = [f"HostName={hostname}", f"DeviceId={device_id}", f"SharedAccessKey={key}"]
        if module_id is not None:
            parts.insert(2, f"ModuleId={module_id}")
        credential = _native.Credential.connection_string(";".join(parts))
        return cls(credential, options, kwargs.get("auto_connect", True))

    @classmethod
    def create_from_sastoken(cls, sastoken: str, **kwargs: Any) -> "IoTHubDeviceClient":
        """A client for a ready-made SAS token (it cannot be renewed)."""
        options = _options(kwargs, excluded={"sastoken_ttl"})
        client = cls(_native.Credential.sas_token(sastoken), options, kwargs.get("auto_connect", True))
        client._sastoken_expiry = _native.sas_token_expiry(sastoken)
        return client

    @classmethod
    def create_from_x509_certificate(
        cls, x509: X509, hostname: str, device_id: str, **kwargs: Any
    ) -> "IoTHubDeviceClient":
        """A client authenticating with an X.509 certificate (PEM files)."""
        certificate_pem, private_key_pem = read_x509(x509)
        options = _options(
            kwargs, excluded={"sastoken_ttl"}, certificate_pem=certificate_pem, private_key_pem=private_key_pem
        )
        credential = _native.Credential.x509(hostname, device_id)
        return cls(credential, options, kwargs.get("auto_connect", True))

    # ~~~ connection ~~~

    async def connect(self) -> None:
        """Connects; returns once connected and subscribed (raises CredentialError,
        ConnectionFailedError or OperationTimeout otherwise)."""
        await self._connected_native()

    async def _connected_native(self) -> _native.DeviceClient:
        if self._is_shut_down:
            raise ClientClosedError("the client has been shut down")
        if self._native is not None:
            return self._native
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._open())
        try:
            return await asyncio.shield(self._connecting)
        finally:
            if self._connecting is not None and self._connecting.done():
                self._connecting = None

    async def _open(self) -> _native.DeviceClient:
        native = await _native.DeviceClient.connect(self._credential, self._options)
        if self._is_shut_down:
            await native.close()
            raise ClientClosedError("the client was shut down while connecting")
        self._native = native
        self._start_handler_tasks()
        # The native client buffers from connect until the first stream is asked for; streams
        # no handler took are released here, so nothing piles up unread.
        if "desired" not in self._tasks:
            native.desired_property_updates()
        if "state" not in self._tasks:
            native.connection_state_updates()
        if self._state_handler is not None:
            await _call_handler(self._state_handler, (), self._handler_executor)
        return native

    async def _ready(self) -> _native.DeviceClient:
        if self._native is None and not self._auto_connect and not self._is_shut_down:
            raise NoConnectionError("the client is not connected (auto_connect=False)")
        return await self._connected_native()

    async def disconnect(self) -> None:
        """Disconnects; ``connect`` (or any call, with auto_connect) connects again."""
        native, self._native = self._native, None
        if native is None:
            return
        await native.close()
        await self._stop_handler_tasks()
        if self._state_handler is not None and not self._is_shut_down:
            await _call_handler(self._state_handler, (), self._handler_executor)

    async def shutdown(self) -> None:
        """Disconnects for good: no handler is called after this returns; calls then raise
        ClientClosedError."""
        self._is_shut_down = True
        self._cancel_sastoken_alarm()
        native, self._native = self._native, None
        await self._stop_handler_tasks()
        if native is not None:
            await native.close()

    async def _shutdown_at_exit(self) -> None:
        await self.shutdown()

    @property
    def connected(self) -> bool:
        """Whether the client is connected right now."""
        return self._native is not None and self._native.connection_state == "connected"

    # ~~~ twins ~~~

    async def get_twin(self) -> Dict[str, Any]:
        """The twin: ``{"desired": {...}, "reported": {...}}`` (each with ``$version``)."""
        native = self._native or await self._ready()  # fast path: connected
        return await native.get_twin()

    async def patch_twin_reported_properties(self, reported_properties_patch: Dict[str, Any]) -> None:
        """Merges the patch into the reported properties (``None`` values delete keys)."""
        try:
            # As azure-iot-device: a patch that is not JSON is a ClientError caused by the
            # TypeError json raises, before anything is sent.
            json.dumps(reported_properties_patch)
        except (TypeError, ValueError) as e:
            raise ClientError("the reported properties patch is not JSON serializable") from e
        native = self._native or await self._ready()  # fast path: connected
        await native.patch_twin_reported_properties(reported_properties_patch)

    async def receive_twin_desired_properties_patch(self) -> Dict[str, Any]:
        """The next desired-properties patch (waits for it), as azure-iot-device's deprecated
        receive API; as there, receiving starts with the first call, and patches from then on
        queue up in order."""
        return await (await self._received_patches()).__anext__()

    async def _received_patches(self) -> AsyncIterator[Dict[str, Any]]:
        native = self._native or await self._ready()
        if self._desired_queue is None:
            self._desired_queue = native.desired_property_updates()
        return self._desired_queue

    def desired_property_updates(self) -> AsyncIterator[Dict[str, Any]]:
        """Desired-property patches from now on, each with ``$version``; after a reconnect, one
        patch holding exactly what changed. Ends at disconnect/shutdown. Needs a connection."""
        if self._native is None:
            raise NoConnectionError("connect before asking for desired property updates")
        return self._native.desired_property_updates()

    # ~~~ handlers ~~~

    @property
    def on_twin_desired_properties_patch_received(self) -> Handler:
        """Called with each desired-properties patch (a function or a coroutine function)."""
        return self._desired_handler

    @on_twin_desired_properties_patch_received.setter
    def on_twin_desired_properties_patch_received(self, value: Handler) -> None:
        self._desired_handler = value
        self._restart_task("desired")

    @property
    def on_connection_state_change(self) -> Handler:
        """Called (no arguments) when the client connects or disconnects; read ``connected``."""
        return self._state_handler

    @on_connection_state_change.setter
    def on_connection_state_change(self, value: Handler) -> None:
        self._state_handler = value
        self._restart_task("state")

    @property
    def on_background_exception(self) -> Handler:
        """Called with the error when the client gives up in the background (credentials
        refused, or the reconnect policy exhausted)."""
        return self._background_handler

    @on_background_exception.setter
    def on_background_exception(self, value: Handler) -> None:
        self._background_handler = value
        self._restart_task("state")

    def _restart_task(self, name: str) -> None:
        old = self._tasks.pop(name, None)
        if old is not None:
            old.cancel()
        if self._native is not None:
            self._start_task(name, self._native)

    def _start_handler_tasks(self) -> None:
        for name in ("desired", "state"):
            if name not in self._tasks and self._native is not None:
                self._start_task(name, self._native)

    def _start_task(self, name: str, native: _native.DeviceClient) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # started by connect(), which runs on the loop
        if name == "desired" and self._desired_handler is not None:
            stream = native.desired_property_updates()
            self._tasks[name] = asyncio.ensure_future(self._deliver_patches(stream))
        elif name == "state" and (self._state_handler is not None or self._background_handler is not None):
            states = native.connection_state_updates()
            self._tasks[name] = asyncio.ensure_future(self._deliver_states(states))

    async def _deliver_patches(self, stream: AsyncIterator[Dict[str, Any]]) -> None:
        async for patch in stream:
            handler = self._desired_handler
            if self._is_shut_down or handler is None:
                return
            await _call_handler(handler, (patch,), self._handler_executor)

    async def _deliver_states(self, states: AsyncIterator[str]) -> None:
        was_connected = True
        async for state in states:
            now_connected = state == "connected"
            if self._is_shut_down:
                return
            if state == "failed" and self._background_handler is not None:
                error = ConnectionFailedError("the client gave up connecting; see its logs for why")
                await _call_handler(self._background_handler, (error,), self._handler_executor)
            handler = self._state_handler
            if handler is None:
                continue
            if now_connected != was_connected:
                was_connected = now_connected
                await _call_handler(handler, (), self._handler_executor)

    async def _stop_handler_tasks(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        for task in tasks:
            if task is not current:
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass

