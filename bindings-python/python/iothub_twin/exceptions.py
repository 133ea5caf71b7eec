"""Exceptions, named as in ``azure.iot.device.exceptions`` (plus the service-side errors).

Every exception derives from :class:`IoTHubError` and carries ``code`` (the stable code of the
core's error table, the same as Node's ``err.code``, e.g. ``"ERR_NOT_FOUND"``) and, when known,
``status`` (HTTP or
MQTT twin status), ``error_code`` (IoT Hub's name, e.g. ``"DeviceNotFound"``),
``error_code_number`` (e.g. ``404001``), ``tracking_id`` and ``retryable``. Bad arguments raise
:class:`InvalidArgumentError` / :class:`InvalidConnectionStringError`, which are also
``ValueError``; timeouts are also ``TimeoutError``.

The native module creates these by the class name the core's error table gives
(``ErrorKind::python_class``). They deliberately define no
``__init__``: building one must run no Python code, as it may happen on a Rust thread.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple


class IoTHubError(Exception):
    """Base of every iothub_twin error."""

    code: Optional[str] = None
    status: Optional[int] = None
    error_code: Optional[str] = None
    error_code_number: Optional[int] = None
    tracking_id: Optional[str] = None
    retryable: bool = False

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keep the attributes across pickling (e.g. to another process).
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type, args: Tuple[Any, ...], state: dict) -> IoTHubError:
    error = cls(*args)
    error.__dict__.update(state)
    return error


# ~~~ azure.iot.device.exceptions ~~~


class OperationCancelled(IoTHubError):
    """An operation was cancelled (e.g. by ``shutdown``)."""


class OperationTimeout(IoTHubError, TimeoutError):
    """An operation did not finish by its deadline."""


class ClientError(IoTHubError):
    """Generic error for a client."""


class ConnectionFailedError(ClientError):
    """Failed to establish a connection, or lost it while a call was in flight."""


class ConnectionDroppedError(ClientError):
    """Lost connection while executing operation."""


class NoConnectionError(ClientError):
    """The operation needs a connection and the client is not connected."""


class CredentialError(ClientError):
    """The hub refused the credentials (MQTT CONNACK 4/5, HTTP 401/403)."""


class ServiceError(IoTHubError):
    """IoT Hub answered with an error status."""


# ~~~ beyond azure-iot-device (STYLE.md error table) ~~~


class ClientClosedError(ClientError):
    """The client was shut down."""


class QueueFullError(ClientError):
    """Too many reported patches are waiting for a connection."""


class ProtocolError(ClientError):
    """IoT Hub answered with success, but the answer could not be understood."""


class NotFoundError(ServiceError):
    """404: the device, module or twin does not exist."""


class PreconditionFailedError(ServiceError):
    """412: the etag or ``$version`` precondition did not hold."""


class ThrottledError(ServiceError):
    """429: throttled (after the client's own retries)."""


class InvalidArgumentError(IoTHubError, ValueError):
    """An argument is invalid."""


class InvalidConnectionStringError(InvalidArgumentError):
    """A connection string is missing a part, has a malformed part, or mixes credentials."""


class InvalidTwinError(InvalidArgumentError):
    """A twin document or patch breaks one of IoT Hub's twin rules (names, depth, size)."""


class OutOfScopeError(IoTHubError, NotImplementedError):
    """A name of the official SDKs outside device twins (telemetry, direct methods,
    cloud-to-device messages, file upload, IoT Edge): iothub_twin does not fake it."""


class OutOfScopeImportError(OutOfScopeError, ImportError):
    """``from iothub_twin import Message`` and the like: an :class:`OutOfScopeError` that is
    also the ``ImportError`` an import statement expects."""


OperationTimeoutError = OperationTimeout

__all__ = [
    "IoTHubError",
    "OperationCancelled",
    "OperationTimeout",
    "OperationTimeoutError",
    "ClientError",
    "ConnectionFailedError",
    "ConnectionDroppedError",
    "NoConnectionError",
    "CredentialError",
    "ServiceError",
    "ClientClosedError",
    "QueueFullError",
    "ProtocolError",
    "NotFoundError",
    "PreconditionFailedError",
    "ThrottledError",
    "InvalidArgumentError",
    "InvalidConnectionStringError",
    "InvalidTwinError",
    "OutOfScopeError",
    "OutOfScopeImportError",
]
