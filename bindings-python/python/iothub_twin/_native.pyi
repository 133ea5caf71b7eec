"""Type stubs of the native module (hand-written; checked by ``python -m mypy.stubtest``)."""

from typing import Any, Awaitable, Dict, List, Optional, Tuple, final

__all__ = [
    "__version__",
    "ConnectionStateStream",
    "DesiredPatchStream",
    "DeviceClient",
    "ServiceClient",
    "TokenSlot",
    "next_log_records",
    "parse_device_connection_string",
]

__version__: str

def next_log_records(timeout: float, limit: int = 256) -> List[Tuple[int, str, str]]: ...
def parse_device_connection_string(connection_string: str) -> bool: ...
@final
class DeviceClient:
    @staticmethod
    def connect(
        connection_string: Optional[str] = None,
        *,
        sas_token: Optional[str] = None,
        host_name: Optional[str] = None,
        device_id: Optional[str] = None,
        module_id: Optional[str] = None,
        certificate_pem: Optional[str] = None,
        private_key_pem: Optional[str] = None,
        server_verification_cert: Optional[str] = None,
        gateway_host_name: Optional[str] = None,
        websockets: bool = False,
        keep_alive: float = 60.0,
        sastoken_ttl: float = 3600.0,
        operation_timeout: float = 60.0,
        product_info: Optional[str] = None,
        model_id: Optional[str] = None,
        offline_queue_capacity: int = 1000,
        connection_retry: bool = True,
        retry_initial_delay: Optional[float] = None,
        retry_max_delay: Optional[float] = None,
    ) -> Awaitable[DeviceClient]: ...
    def get_twin(self) -> Awaitable[Dict[str, Any]]: ...
    def patch_twin_reported_properties(self, patch: Dict[str, Any]) -> Awaitable[int]: ...
    def desired_property_updates(self) -> DesiredPatchStream: ...
    def connection_state_updates(self) -> ConnectionStateStream: ...
    @property
    def connection_state(self) -> str: ...
    def close(self) -> Awaitable[None]: ...

@final
class DesiredPatchStream:
    def __aiter__(self) -> DesiredPatchStream: ...
    def __anext__(self) -> Awaitable[Dict[str, Any]]: ...

@final
class ConnectionStateStream:
    def __aiter__(self) -> ConnectionStateStream: ...
    def __anext__(self) -> Awaitable[str]: ...

@final
class TokenSlot:
    def __new__(cls) -> TokenSlot: ...
    def set(self, header: str) -> None: ...

@final
class ServiceClient:
    @staticmethod
    def from_connection_string(
        connection_string: str, *, ca_pem: Optional[str] = None, timeout: float = 60.0
    ) -> ServiceClient: ...
    @staticmethod
    def with_token_slot(
        host_name: str, slot: TokenSlot, *, ca_pem: Optional[str] = None, timeout: float = 60.0
    ) -> ServiceClient: ...
    def get_twin(self, device_id: str) -> Awaitable[Dict[str, Any]]: ...
    def get_module_twin(self, device_id: str, module_id: str) -> Awaitable[Dict[str, Any]]: ...
    def update_twin(
        self, device_id: str, patch: Dict[str, Any], etag: Optional[str] = None
    ) -> Awaitable[Dict[str, Any]]: ...
    def update_module_twin(
        self, device_id: str, module_id: str, patch: Dict[str, Any], etag: Optional[str] = None
    ) -> Awaitable[Dict[str, Any]]: ...
    def replace_twin(
        self, device_id: str, twin: Dict[str, Any], etag: Optional[str] = None
    ) -> Awaitable[Dict[str, Any]]: ...
    def replace_module_twin(
        self, device_id: str, module_id: str, twin: Dict[str, Any], etag: Optional[str] = None
    ) -> Awaitable[Dict[str, Any]]: ...
    def query(
        self, query: str, page_size: Optional[int] = None, continuation_token: Optional[str] = None
    ) -> Awaitable[Dict[str, Any]]: ...
    def create_device(self, device: Dict[str, Any]) -> Awaitable[Dict[str, Any]]: ...
    def get_device(self, device_id: str) -> Awaitable[Dict[str, Any]]: ...
    def delete_device(self, device_id: str, etag: Optional[str] = None) -> Awaitable[None]: ...
    def create_module(self, module: Dict[str, Any]) -> Awaitable[Dict[str, Any]]: ...
    def get_module(self, device_id: str, module_id: str) -> Awaitable[Dict[str, Any]]: ...
    def delete_module(
        self, device_id: str, module_id: str, etag: Optional[str] = None
    ) -> Awaitable[None]: ...
