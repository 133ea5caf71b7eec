"""Forwards the native module's log records to Python's ``logging`` (logger ``iothub_twin``).

A daemon thread waits for records (the GIL released while it waits) and logs them; an atexit
hook stops it first, so interpreter exit never waits on it. Which records are made is chosen by
``IOTHUB_TWIN_LOG`` (e.g. ``debug``; default ``info``); ``logging`` filters them again as usual.
"""

from __future__ import annotations

import atexit
import logging
import threading

from . import _native

logger = logging.getLogger("iothub_twin")

_stop = threading.Event()
_thread: "threading.Thread | None" = None


def _pump() -> None:
    while not _stop.is_set():
        for level, target, message in _native.next_log_records(0.1):
            logger.log(level, "%s: %s", target, message)


def start() -> None:
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_pump, name="iothub-twin-log", daemon=True)
        _thread.start()
        atexit.register(stop)


def stop() -> None:
    _stop.set()
    if _thread is not None:
        _thread.join(timeout=2)
