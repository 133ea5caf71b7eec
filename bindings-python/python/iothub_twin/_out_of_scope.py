"""Names of the official SDKs outside device twins. They exist so that code using them fails
at once (on access, not later with an AttributeError deep in a call), saying what iothub_twin
covers and which official package does the rest."""

from __future__ import annotations

from typing import Any, Dict, NoReturn

from .exceptions import OutOfScopeError, OutOfScopeImportError

DEVICE_PACKAGE = "azure-iot-device"
SERVICE_PACKAGE = "azure-iot-hub"

# What each out-of-scope name is for, and the official package that has it.
DEVICE_NAMES: Dict[str, str] = {
    "Message": "telemetry", "send_message": "telemetry", "send_message_to_output": "telemetry",
    "receive_message_on_input": "telemetry",
    "MethodRequest": "direct methods", "MethodResponse": "direct methods",
    "on_method_request_received": "direct methods", "receive_method_request": "direct methods",
    "send_method_response": "direct methods", "invoke_method": "direct methods",
    "receive_message": "cloud-to-device messages", "on_message_received": "cloud-to-device messages",
    "get_storage_info_for_blob": "file upload", "notify_blob_upload_status": "file upload",
    "create_from_edge_environment": "the IoT Edge environment",
}
SERVICE_NAMES: Dict[str, str] = {
    "invoke_device_method": "direct methods", "invoke_device_module_method": "direct methods",
    "send_c2d_message": "cloud-to-device messages",
}


def message(name: str, what: str, package: str) -> str:
    return (f"{name} is {what}, which iothub_twin does not cover: iothub_twin covers device twins "
            f"only; use the official {package} package for {what}")


class OutOfScope:
    """A class attribute that raises :class:`OutOfScopeError` when read on an instance, called,
    or assigned, so neither calling a method nor setting a handler can silently do nothing.
    Read on the class it is itself (so ``dir``, ``inspect`` and ``mock.create_autospec`` of the
    class keep working), and calling it raises."""

    def __init__(self, what: str, package: str) -> None:
        self._what = what
        self._package = package
        self._name = "this name"

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = f"{owner.__name__}.{name}"

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        raise OutOfScopeError(message(self._name, self._what, self._package))

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise OutOfScopeError(message(self._name, self._what, self._package))

    def __set__(self, instance: Any, value: Any) -> NoReturn:
        raise OutOfScopeError(message(self._name, self._what, self._package))


def add_device_names(cls: type) -> type:
    """Class decorator: the official device clients' out-of-scope names, failing loudly."""
    for name, what in DEVICE_NAMES.items():
        if name[0].islower():
            descriptor = OutOfScope(what, DEVICE_PACKAGE)
            descriptor.__set_name__(cls, name)
            setattr(cls, name, descriptor)
    return cls


def add_service_names(cls: type) -> type:
    """Class decorator: the official registry manager's out-of-scope methods, failing loudly."""
    for name, what in SERVICE_NAMES.items():
        descriptor = OutOfScope(what, SERVICE_PACKAGE)
        descriptor.__set_name__(cls, name)
        setattr(cls, name, descriptor)
    return cls


def module_getattr(module_name: str):
    """A module ``__getattr__``: out-of-scope class names (``Message``, …) fail at import."""

    def __getattr__(name: str) -> Any:
        what = DEVICE_NAMES.get(name)
        if what is not None and name[0].isupper():
            raise OutOfScopeImportError(message(name, what, DEVICE_PACKAGE))
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
