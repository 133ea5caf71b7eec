"""``ProxyOptions``, as ``azure.iot.device.ProxyOptions``: an HTTP CONNECT proxy for the MQTT
connection (TLS or WebSockets), with basic auth when a user name is given. Without one the core
takes ``HTTPS_PROXY`` (unless ``NO_PROXY`` exempts the hub). SOCKS proxies, which the official
SDK reaches through PySocks, are refused."""

from __future__ import annotations

from typing import Optional, Union

from . import _native
from .exceptions import InvalidArgumentError

# PySocks' numbering, which the official SDK also accepts (socks.HTTP == 3).
_HTTP_NAMES = ("HTTP", 3)


class ProxyOptions:
    def __init__(
        self,
        proxy_type: Union[str, int],
        proxy_addr: str,
        proxy_port: int,
        proxy_username: Optional[str] = None,
        proxy_password: Optional[str] = None,
    ) -> None:
        normalized = proxy_type.upper() if isinstance(proxy_type, str) else proxy_type
        if normalized not in _HTTP_NAMES:
            raise InvalidArgumentError(
                f"proxy_type {proxy_type!r} is not supported: iothub_twin tunnels through HTTP proxies only"
            )
        self._proxy_type = "HTTP"
        self._proxy_addr = proxy_addr
        self._proxy_port = int(proxy_port)
        self._proxy_username = proxy_username
        self._proxy_password = proxy_password

    @property
    def proxy_type(self) -> str:
        return self._proxy_type

    @property
    def proxy_type_socks(self) -> int:
        """PySocks' number for the type (``socks.HTTP``), as the official class has it."""
        return 3

    @property
    def proxy_address(self) -> str:
        return self._proxy_addr

    @property
    def proxy_port(self) -> int:
        return self._proxy_port

    @property
    def proxy_username(self) -> Optional[str]:
        return self._proxy_username

    @property
    def proxy_password(self) -> Optional[str]:
        return self._proxy_password

    def __repr__(self) -> str:
        # The password stays out.
        return f"ProxyOptions('HTTP', {self._proxy_addr!r}, {self._proxy_port}, {self._proxy_username!r})"

    def _native(self) -> _native.Proxy:
        return _native.Proxy(self._proxy_addr, self._proxy_port, self._proxy_username, self._proxy_password)
