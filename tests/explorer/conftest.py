"""Fixtures for the explorer browser test: the emulator binary, a service client, Chromium."""

import base64
import hashlib
import hmac
import importlib.util
import os
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "iothub_twin_test_emulator", ROOT / "tests" / "python" / "emulator.py"
)
_launcher = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_launcher)
SCREENSHOTS = ROOT / "target" / "explorer-screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium's background services would try to reach the network; this machine refuses them.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API = "api-version=2021-04-12"


def sas_token(resource, key_base64, key_name=None, ttl=3600):
    expiry = int(time.time()) + ttl
    uri = urllib.parse.quote(resource, safe="")
    digest = hmac.new(
        base64.b64decode(key_base64), f"{uri}\n{expiry}".encode(), hashlib.sha256
    ).digest()
    signature = urllib.parse.quote(base64.b64encode(digest), safe="")
    token = f"SharedAccessSignature sr={uri}&sig={signature}&se={expiry}"
    return token + (f"&skn={key_name}" if key_name else "")


class Emulator:
    """The emulator binary on free ports, in memory (tests/python/emulator.py starts and stops
    it), with an owner REST client."""

    def __init__(self):
        self.process = _launcher.start_emulator("explorer", https_port=0)
        self.ready = self.process.ready
        self.base = f"https://localhost:{self.ready['https_port']}"
        self.ca = self.ready["ca_cert"]
        fields = dict(
            part.split("=", 1) for part in self.ready["service_connection_string"].split(";")
        )
        self.service_token = sas_token(
            fields["HostName"], fields["SharedAccessKey"], fields["SharedAccessKeyName"]
        )
        self.service_key = fields["SharedAccessKey"]
        self.http = requests.Session()
        self.http.trust_env = False  # the machine's CA bundle settings must not apply
        self.http.verify = self.ca

    def rest(self, method, path, body=None, if_match=None):
        headers = {"authorization": self.service_token}
        if if_match:
            headers["if-match"] = f'"{if_match}"'
        sep = "&" if "?" in path else "?"
        return self.http.request(
            method, f"{self.base}{path}{sep}{API}", json=body, headers=headers, timeout=30
        )

    def logs(self):
        return self.process.stderr_tail(400)

    def stop(self):
        _launcher.stop_emulator(self.process)


@pytest.fixture
def emulator():
    hub = Emulator()
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def context(playwright):
    """A fresh Chromium profile that trusts nothing but lets the emulator's certificate pass."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="explorer-chromium-") as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            ignore_https_errors=True,
            viewport={"width": 1400, "height": 1000},
        )
        yield browser
        browser.close()
