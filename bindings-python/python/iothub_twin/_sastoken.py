"""User-supplied SAS tokens, as azure-iot-device: ``update_sastoken`` (the core swaps the token
and reconnects, keeping every subscription) and ``on_new_sastoken_required`` (called 120 s
before the current token expires, the official SDK's margin, so the handler can supply the
next one)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

from . import _native
from ._handlers import call_handler
from .exceptions import ClientError, InvalidArgumentError

# The official SDK's DEFAULT_TOKEN_UPDATE_MARGIN.
NEW_TOKEN_MARGIN_S = 120


class SasTokenMethods:
    """Mixed into the aio device client."""

    _credential: _native.Credential
    _native: Optional[_native.DeviceClient]
    _handler_executor: Any
    _sastoken_expiry: Optional[int] = None
    _new_sastoken_handler: Any = None
    _sastoken_alarm: Optional[asyncio.TimerHandle] = None

    async def update_sastoken(self, sastoken: str) -> None:
        """Replaces the SAS token of a client made with ``create_from_sastoken``; when
        connected, reconnects with it at once (ValueError for a malformed or expired token or
        one for another identity; ClientError when the client signs its own tokens)."""
        if self._sastoken_expiry is None:
            raise ClientError("Cannot update sastoken when client was not created with one")
        try:
            expiry = _native.sas_token_expiry(sastoken)
            credential = _native.Credential.sas_token(sastoken)
            if self._native is not None:
                await self._native.update_sas_token(sastoken)
        except InvalidArgumentError as e:
            raise ValueError(f"Invalid SasToken provided: {e}") from e
        self._credential = credential  # for a later connect after disconnect
        self._sastoken_expiry = expiry
        self._schedule_sastoken_alarm()

    @property
    def on_new_sastoken_required(self) -> Any:
        """Called (no arguments) 120 s before the current SAS token expires."""
        return self._new_sastoken_handler

    @on_new_sastoken_required.setter
    def on_new_sastoken_required(self, value: Any) -> None:
        self._new_sastoken_handler = value
        self._schedule_sastoken_alarm()

    def _schedule_sastoken_alarm(self) -> None:
        self._cancel_sastoken_alarm()
        handler = self._new_sastoken_handler
        if handler is None or self._sastoken_expiry is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # set again from connect's loop (the sync client sets handlers on it)
        delay = max(0.0, self._sastoken_expiry - NEW_TOKEN_MARGIN_S - time.time())
        def fire() -> None:
            asyncio.ensure_future(call_handler(handler, (), self._handler_executor))

        self._sastoken_alarm = loop.call_later(delay, fire)

    def _cancel_sastoken_alarm(self) -> None:
        if self._sastoken_alarm is not None:
            self._sastoken_alarm.cancel()
            self._sastoken_alarm = None
