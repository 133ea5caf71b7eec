"""The explorer page in a real browser (Debian's Chromium, driven by Playwright) against the
emulator binary: login with the one-time token, create a device, edit desired with the current
etag and then a stale one, a reported change from a device client appearing live, a paged query,
delete. Any console error or failed request the step did not expect fails the test."""

import json
import re
import ssl
import threading

import paho.mqtt.client as mqtt
from playwright.sync_api import expect

from conftest import SCREENSHOTS, sas_token

WAIT_MS = 15_000


class Watch:
    """Console errors and failed requests; a step names the failures it expects."""

    def __init__(self, page):
        self.unexpected = []
        self.expected = set()  # (method, path, status) a step expects to fail
        self.seen_expected = set()
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.unexpected.append(f"page error: {error}"))
        page.on("requestfailed", self.request_failed)
        page.on("response", self.response)

    def console(self, message):
        if message.type != "error":
            return
        status = re.search(r"status of (\d+)", message.text)
        if status and any(s == int(status.group(1)) for _, _, s in self.seen_expected):
            return
        self.unexpected.append(f"console error: {message.text}")

    def request_failed(self, request):
        # The live feed's request is cut when the page goes away at the end.
        if "/emulator/twin-events" in request.url:
            return
        self.unexpected.append(f"request failed: {request.method} {request.url} {request.failure}")

    def response(self, response):
        if response.status < 400:
            return
        path = response.url.split("//", 1)[1].split("/", 1)[1].split("?")[0]
        entry = (response.request.method, "/" + path, response.status)
        if entry in self.expected:
            self.seen_expected.add(entry)
        else:
            self.unexpected.append(f"failed request: {entry}")

    def check(self):
        assert not self.unexpected, self.unexpected


def expect_twin_of(page, identity):
    """The twin section shows `identity`, loaded (the editor too)."""
    expect(page.locator("#twin-id")).to_have_text(identity, timeout=WAIT_MS)
    expect(page.locator("#twin")).to_have_attribute("aria-busy", "false", timeout=WAIT_MS)


def shot(page, name):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def desired_of(emulator, device):
    twin = emulator.rest("GET", f"/twins/{device}")
    assert twin.status_code == 200, twin.text
    return twin.json()


class DeviceClient:
    """A device client over raw MQTT (paho): connect, send a reported patch, see a disconnect."""

    def __init__(self, emulator, device):
        identity = emulator.rest("GET", f"/devices/{device}").json()
        key = identity["authentication"]["symmetricKey"]["primaryKey"]
        host = emulator.ready["hostname"]
        self.client = mqtt.Client(client_id=device, protocol=mqtt.MQTTv311)
        self.client.username_pw_set(
            f"{host}/{device}/?api-version=2021-04-12",
            sas_token(f"{host}/devices/{device}", key),
        )
        self.client.tls_set_context(ssl.create_default_context(cafile=emulator.ca))
        self.connected, self.answered, self.disconnected = (threading.Event() for _ in range(3))
        self.answers = []
        self.client.on_connect = lambda c, u, f, rc: self.connected.set() if rc == 0 else None
        self.client.on_disconnect = lambda c, u, rc: self.disconnected.set()
        self.client.on_message = self.on_message
        self.client.connect("localhost", emulator.ready["mqtt_port"])
        self.client.loop_start()
        assert self.connected.wait(15), "the device connected"
        self.client.subscribe("$iothub/twin/res/#", qos=0)

    def on_message(self, client, userdata, message):
        self.answers.append(message.topic)
        self.answered.set()

    def report(self, patch):
        """Sends a reported patch; returns once the hub answered it."""
        self.answered.clear()
        self.client.publish(
            "$iothub/twin/PATCH/properties/reported/?$rid=7", json.dumps(patch), qos=0
        )
        assert self.answered.wait(15), "the hub answered the reported patch"
        assert self.answers[-1].startswith("$iothub/twin/res/204/"), self.answers

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def assert_every_control_is_labelled(page):
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, textarea, select, button')]
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
            .map((el) => el.outerHTML)"""
    )
    assert unlabelled == [], unlabelled


def test_the_page_and_its_calls_need_a_login(emulator, context):
    page = context.new_page()
    base = emulator.base
    assert page.goto(f"{base}/explorer/").status == 401
    assert page.goto(f"{base}/explorer/?token=not-the-token").status == 401
    assert page.request.get(f"{base}/explorer/app.js").status == 401
    assert page.request.get(f"{base}/devices?{emulator_api()}").status == 401
    assert page.request.get(f"{base}/emulator/twin-events").status == 401
    # The real token logs in once; a second use is refused.
    page.goto(emulator.ready["explorer_url"])
    expect(page.locator("#feed-state")).to_contain_text("connected", timeout=WAIT_MS)
    second = context.new_page()
    fresh = second.request.get(emulator.ready["explorer_url"], max_redirects=0)
    assert fresh.status == 401
    # The session cookie works for the page's own origin only.
    devices = f"{base}/devices?{emulator_api()}"
    assert page.request.get(devices).status == 200
    assert page.request.get(devices, headers={"sec-fetch-site": "cross-site"}).status == 401
    assert page.request.get(devices, headers={"origin": "https://elsewhere.example"}).status == 401


def emulator_api():
    return "api-version=2021-04-12"


def test_the_main_path_in_a_real_browser(emulator, context):
    page = context.new_page()
    watch = Watch(page)
    page.on("dialog", lambda dialog: dialog.accept())
    token = emulator.ready["explorer_url"].split("token=", 1)[1]

    # 1. Log in with the one-time token: the address loses it, the page shows the hub.
    page.goto(emulator.ready["explorer_url"])
    expect(page).to_have_url(f"{emulator.base}/explorer/")
    expect(page.locator("#feed-state")).to_contain_text("connected", timeout=WAIT_MS)
    html = page.content()
    assert token not in html and emulator.service_key not in html
    assert token not in page.url
    shot(page, "01-logged-in")

    # 2. Create two devices, by keyboard.
    for device in ["explorer-dev", "explorer-other"]:
        page.get_by_label("New device id").fill(device)
        page.get_by_label("New device id").press("Enter")
        expect_twin_of(page, device)
    expect(page.locator("#device-table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Show the twin of explorer-dev").focus()
    page.keyboard.press("Enter")
    expect_twin_of(page, "explorer-dev")
    shot(page, "02-created")

    # The connection string goes to the clipboard only, never into the page.
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=emulator.base)
    page.get_by_role("button", name="Copy connection string").click()
    expect(page.locator("#twin-status")).to_have_text("Connection string copied to the clipboard.")
    copied = page.evaluate("navigator.clipboard.readText()")
    key = emulator.rest("GET", "/devices/explorer-dev").json()["authentication"]["symmetricKey"]
    assert copied == (
        f"HostName=localhost;DeviceId=explorer-dev;SharedAccessKey={key['primaryKey']}"
        f";GatewayHostName=localhost:{emulator.ready['mqtt_port']}"
    )
    assert key["primaryKey"] not in page.content()

    # 3. Edit tags and desired with the current etag.
    editor = page.get_by_label(re.compile("Tags and desired properties"))
    editor.fill(json.dumps({"tags": {"site": "lab"}, "properties": {"desired": {"fan": "on"}}}))
    page.get_by_role("button", name="Save with etag").click()
    expect(page.locator("#twin-status")).to_contain_text("Saved", timeout=WAIT_MS)
    expect(page.locator("#pane-desired")).to_contain_text('"fan": "on"')
    expect(page.locator("#pane-tags")).to_contain_text('"site": "lab"')
    assert desired_of(emulator, "explorer-dev")["properties"]["desired"]["fan"] == "on"
    shot(page, "03-saved-with-etag")

    # 4. Someone else changes the twin: it shows up live, and saving the older etag conflicts.
    other = emulator.rest(
        "PATCH", "/twins/explorer-dev", {"properties": {"desired": {"mode": "eco"}}}
    )
    assert other.status_code == 200, other.text
    expect(page.locator("#pane-desired")).to_contain_text('"mode": "eco"', timeout=WAIT_MS)
    watch.expected.add(("PUT", "/twins/explorer-dev", 412))
    editor.fill(json.dumps({"tags": {}, "properties": {"desired": {"fan": "off"}}}))
    page.get_by_role("button", name="Save with etag").click()
    expect(page.locator("#conflict")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#conflict-text")).to_contain_text("Nothing was overwritten")
    expect(page.locator("#conflict-twin")).to_contain_text('"mode": "eco"')
    twin = desired_of(emulator, "explorer-dev")
    assert twin["properties"]["desired"]["fan"] == "on", "the stale save overwrote nothing"
    assert twin["tags"] == {"site": "lab"}
    assert '"fan": "off"' in editor.input_value(), "the user's edit is kept"
    shot(page, "04-stale-etag-conflict")

    # 5. A device reports: the page shows it without reloading; then its connection is dropped.
    page.evaluate("window.__sameDocument = true")
    device = DeviceClient(emulator, "explorer-dev")
    try:
        device.report({"temperature": 21.5})
        expect(page.locator("#pane-reported")).to_contain_text(
            '"temperature": 21.5', timeout=WAIT_MS
        )
        assert page.evaluate("window.__sameDocument") is True
        page.get_by_label("Show $metadata").check()
        expect(page.locator("#pane-reported")).to_contain_text("$lastUpdated")
        expect(page.locator("#device-table tbody tr").first).to_contain_text(
            "Connected", timeout=WAIT_MS
        )
        shot(page, "05-live-reported")
        # The README's picture (emulator/docs/explorer.jpg is a copy of it).
        page.screenshot(path=str(SCREENSHOTS / "readme.jpg"), type="jpeg", quality=70)
        page.get_by_role("button", name="Drop connection").click()
        expect(page.locator("#twin-status")).to_have_text("Connection dropped.")
        assert device.disconnected.wait(15), "the device saw its connection close"
    finally:
        device.close()
    page.get_by_label("Show $metadata").uncheck()
    expect(page.locator("#pane-reported")).not_to_contain_text("$lastUpdated")

    # 6. A query, one result per page, then an error shown inline.
    page.get_by_label("Query (IoT Hub query language)").fill("SELECT deviceId FROM devices")
    page.get_by_label("Page size").fill("1")
    page.get_by_role("button", name="Run query").click()
    expect(page.locator("#query-info")).to_contain_text("Page 1: 1 result(s); more pages follow")
    expect(page.locator("#query-table tbody tr")).to_have_count(1)
    expect(page.locator("#query-table tbody")).to_contain_text("explorer-dev")
    shot(page, "06-query-page-1")
    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#query-info")).to_contain_text("Page 2: 1 result(s); last page")
    expect(page.locator("#query-table tbody")).to_contain_text("explorer-other")
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    shot(page, "07-query-page-2")
    watch.expected.add(("POST", "/devices/query", 400))
    page.get_by_label("Query (IoT Hub query language)").fill("SELECT FROM WHERE")
    page.get_by_role("button", name="Run query").click()
    expect(page.locator("#query-error")).to_contain_text("The query failed: 400")
    shot(page, "08-query-error")

    # 7. A module of the other device: create it, edit its twin, delete it.
    page.get_by_role("button", name="Show the twin of explorer-other").click()
    expect_twin_of(page, "explorer-other")
    page.get_by_label("New module id").fill("sensor")
    page.get_by_label("New module id").press("Enter")
    page.get_by_role("button", name="Show the twin of module sensor").click()
    expect_twin_of(page, "explorer-other/sensor")
    editor.fill(json.dumps({"properties": {"desired": {"rate": 5}}}))
    page.get_by_role("button", name="Save with etag").click()
    expect(page.locator("#twin-status")).to_contain_text("Saved", timeout=WAIT_MS)
    module_twin = emulator.rest("GET", "/twins/explorer-other/modules/sensor").json()
    assert module_twin["properties"]["desired"]["rate"] == 5
    shot(page, "09-module")
    page.get_by_role("button", name="Delete module").click()
    expect_twin_of(page, "explorer-other")
    expect(page.locator("#module-list li")).to_have_count(0)
    assert emulator.rest("GET", "/devices/explorer-other/modules/sensor").status_code == 404
    assert_every_control_is_labelled(page)

    # 8. Delete the device.
    page.get_by_role("button", name="Show the twin of explorer-dev").click()
    page.get_by_role("button", name="Delete device").click()
    expect(page.locator("#device-table tbody tr")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#twin")).to_be_hidden()
    assert emulator.rest("GET", "/devices/explorer-dev").status_code == 404
    shot(page, "10-deleted")

    watch.check()
    assert watch.seen_expected == watch.expected, "each expected failure happened"
    session = next(c["value"] for c in context.cookies() if c["name"] == "iothub-twin-explorer")
    assert next(c for c in context.cookies() if c["name"] == "iothub-twin-explorer")["httpOnly"]
    page.close()
    logs = emulator.logs()
    assert token not in logs and session not in logs, "no token or session id in the logs"
