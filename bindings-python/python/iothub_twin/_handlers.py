"""Calling user handlers: a plain function or a coroutine function, in the sync client's
executor when there is one; what a handler raises is logged, never raised into the client."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable

logger = logging.getLogger("iothub_twin")


async def call_handler(handler: Callable[..., Any], args: tuple, executor: Any) -> None:
    """Calls a plain function or coroutine function handler; errors are logged, not raised."""
    try:
        if executor is not None and not inspect.iscoroutinefunction(handler):
            await asyncio.get_running_loop().run_in_executor(executor, handler, *args)
            return
        result = handler(*args)
        if inspect.isawaitable(result):
            await result
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("the %s handler raised", getattr(handler, "__name__", "event"))
