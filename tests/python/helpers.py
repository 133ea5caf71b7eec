"""Small helpers shared by the test files (SAS tokens, desired-property views, aio managers
run as sync ones)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import urllib.parse


def sas_token(resource: str, key_b64: str, ttl_s: int = 3600) -> str:
    """A device SAS token, made the way the official SDKs make them."""
    expiry = int(time.time()) + ttl_s
    encoded = urllib.parse.quote(resource, safe="")
    signature = hmac.new(base64.b64decode(key_b64), f"{encoded}\n{expiry}".encode(), hashlib.sha256)
    sig = urllib.parse.quote(base64.b64encode(signature.digest()).decode(), safe="")
    return f"SharedAccessSignature sr={encoded}&sig={sig}&se={expiry}"


def user_props(section: dict) -> dict:
    """A properties section without `$version` / `$metadata`."""
    return {k: v for k, v in section.items() if not k.startswith("$")}


def key_of(cs: str) -> str:
    return dict(part.split("=", 1) for part in cs.split(";"))["SharedAccessKey"]


class AioAsSync:
    """Runs each aio method to completion, so one test body covers both APIs."""

    def __init__(self, manager) -> None:
        self._manager = manager

    def __getattr__(self, name):
        method = getattr(self._manager, name)
        return lambda *args, **kwargs: asyncio.run(method(*args, **kwargs))
