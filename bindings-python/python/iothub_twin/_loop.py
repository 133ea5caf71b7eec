"""The one background event loop of the sync API (lancedb ``background_loop.py``).

The sync classes are pure Python over the aio ones: each call runs on this daemon loop and the
caller waits for it. Handlers of sync clients run in an executor, so a slow handler never
blocks the loop. At interpreter exit, clients still open are shut down (bounded) before the
loop stops, so exit never hangs on a connected client.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
import weakref
from typing import Any, Awaitable, Coroutine, Optional, TypeVar

T = TypeVar("T")

EXIT_SHUTDOWN_TIMEOUT_S = 5.0


class BackgroundLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="iothub-twin-loop", daemon=True
        )
        self._thread.start()
        self.open_clients: "weakref.WeakSet[Any]" = weakref.WeakSet()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Runs ``coroutine`` on the loop and waits for it; Ctrl-C cancels it."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        clients = list(self.open_clients)
        if clients:

            async def shutdown_all() -> None:
                await asyncio.gather(
                    *(c._shutdown_at_exit() for c in clients), return_exceptions=True
                )

            future = asyncio.run_coroutine_threadsafe(shutdown_all(), self.loop)
            try:
                future.result(timeout=EXIT_SHUTDOWN_TIMEOUT_S)
            except (concurrent.futures.TimeoutError, Exception):
                future.cancel()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=EXIT_SHUTDOWN_TIMEOUT_S)


_LOOP: Optional[BackgroundLoop] = None
_LOCK = threading.Lock()


def get() -> BackgroundLoop:
    global _LOOP
    with _LOCK:
        if _LOOP is None:
            _LOOP = BackgroundLoop()
            atexit.register(_LOOP.close)
        return _LOOP


def run(awaitable: Awaitable[T]) -> T:
    async def wrap() -> T:
        return await awaitable

    return get().run(wrap())
