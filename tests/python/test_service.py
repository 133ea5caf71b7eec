"""IoTHubRegistryManager, sync and aio (every test runs with both), against the emulator."""

from __future__ import annotations

import secrets
import time
from types import SimpleNamespace

import pytest

import iothub_twin
import iothub_twin.aio
from helpers import AioAsSync, user_props
from iothub_twin.exceptions import (
    ConnectionFailedError,
    CredentialError,
    NotFoundError,
    PreconditionFailedError,
)
from iothub_twin.models import QueryResult, QuerySpecification, Twin, TwinProperties

LOCATION = {"region": "US", "plant": "Redmond43"}


def make(kind, *args, factory="from_connection_string", **kwargs):
    if kind == "sync":
        return getattr(iothub_twin.IoTHubRegistryManager, factory)(*args, **kwargs)
    return AioAsSync(getattr(iothub_twin.aio.IoTHubRegistryManager, factory)(*args, **kwargs))


@pytest.fixture(params=["sync", "aio"])
def kind(request):
    return request.param


@pytest.fixture
def registry(hub, kind):
    return make(kind, hub.service_cs, server_verification_cert=hub.ca_pem)


def new_id(prefix):
    return f"{prefix}-{secrets.token_hex(4)}"


def test_twin_get_update_with_etag_replace(registry):
    device_id = new_id("svc")
    device = registry.create_device_with_sas(device_id, None, None, "enabled")
    assert device.device_id == device_id and device.authentication.type == "sas"
    assert device.authentication.symmetric_key.primary_key
    assert registry.get_device(device_id).etag == device.etag

    twin = registry.get_twin(device_id)
    assert isinstance(twin, Twin) and twin.device_id == device_id and twin.etag
    assert twin.properties.desired["$version"] == 1

    patch = Twin(tags={"location": LOCATION}, properties=TwinProperties(desired={"power_level": 1}))
    updated = registry.update_twin(device_id, patch, twin.etag)
    assert updated.tags == {"location": LOCATION}
    assert user_props(updated.properties.desired) == {"power_level": 1}
    assert updated.etag != twin.etag

    with pytest.raises(PreconditionFailedError) as stale:
        registry.update_twin(device_id, Twin(tags={"x": 1}), twin.etag)
    assert stale.value.status == 412 and stale.value.error_code == "PreconditionFailed"
    assert registry.get_twin(device_id).etag == updated.etag

    replaced = registry.replace_twin(
        device_id, Twin(tags={"site": "B2"}, properties=TwinProperties(desired={"t": 30})), updated.etag
    )
    assert replaced.tags == {"site": "B2"} and user_props(replaced.properties.desired) == {"t": 30}

    registry.delete_device(device_id)
    with pytest.raises(NotFoundError) as missing:
        registry.get_twin(device_id)
    assert missing.value.status == 404 and missing.value.error_code_number == 404001


def test_query_pages_with_continuation_tokens(registry):
    tag = secrets.token_hex(4)
    ids = sorted(new_id("q") for _ in range(5))
    for device_id in ids:
        registry.create_device_with_sas(device_id, None, None, "enabled")
        registry.update_twin(device_id, {"tags": {"batch": tag}})
    spec = QuerySpecification(query=f"SELECT * FROM devices WHERE tags.batch = '{tag}'")
    found, token, pages = [], None, 0
    while True:
        page = registry.query_iot_hub(spec, token, 2)
        assert isinstance(page, QueryResult) and page.type == "Twin"
        assert len(page.items) <= 2
        found += [twin.device_id for twin in page.items]
        pages += 1
        token = page.continuation_token
        if token is None:
            break
    assert sorted(found) == ids and pages == 3

    raw = registry.query_iot_hub(
        QuerySpecification(query=f"SELECT COUNT() AS n FROM devices WHERE tags.batch = '{tag}'")
    )
    assert raw.type == "Raw" and raw.items == [{"n": 5}]


def test_x509_and_ca_devices(registry):
    thumb = "A" * 40
    x509 = registry.create_device_with_x509(new_id("x509"), thumb, thumb.replace("A", "B"), "enabled")
    assert x509.authentication.type == "selfSigned"
    assert x509.authentication.x509_thumbprint.primary_thumbprint == thumb
    ca = registry.create_device_with_certificate_authority(new_id("ca"), "disabled")
    assert ca.authentication.type == "certificateAuthority" and ca.status == "disabled"


def test_module_twins(registry):
    device_id = new_id("mod")
    registry.create_device_with_sas(device_id, None, None, "enabled")
    module = registry.create_module_with_sas(device_id, "m1", "me", None, None)
    assert module.module_id == "m1" and module.managed_by == "me"
    assert registry.get_module(device_id, "m1").module_id == "m1"
    twin = registry.get_module_twin(device_id, "m1")
    assert twin.module_id == "m1"
    updated = registry.update_module_twin(device_id, "m1", Twin(tags={"a": 1}), twin.etag)
    assert updated.tags == {"a": 1}
    replaced = registry.replace_module_twin(device_id, "m1", Twin(tags={"b": 2}), updated.etag)
    assert replaced.tags == {"b": 2}
    registry.delete_module(device_id, "m1")
    with pytest.raises(NotFoundError):
        registry.get_module(device_id, "m1")


class FakeCredential:
    """azure-identity's credential protocol: get_token(scope) -> .token, .expires_on."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.scopes = []

    def get_token(self, *scopes):
        self.scopes.append(scopes)
        return SimpleNamespace(token=self.token, expires_on=int(time.time()) + 3600)


def test_from_token_credential(hub, kind):
    credential = FakeCredential(hub.entra_token)
    registry = make(
        kind,
        f"https://{hub.hostname}:{hub.https_port}",
        credential,
        factory="from_token_credential",
        server_verification_cert=hub.ca_pem,
    )
    device_id = new_id("entra")
    registry.create_device_with_sas(device_id, None, None, "enabled")
    assert registry.get_twin(device_id).device_id == device_id
    # One token, reused while it is valid.
    assert credential.scopes == [("https://iothubs.azure.net/.default",)]

    wrong = make(
        kind,
        f"{hub.hostname}:{hub.https_port}",
        FakeCredential("not-the-token"),
        factory="from_token_credential",
        server_verification_cert=hub.ca_pem,
    )
    with pytest.raises(CredentialError):
        wrong.get_twin(device_id)


def test_trust_store_from_requests_ca_bundle(hub, kind, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", hub.ca_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    registry = make(kind, hub.service_cs)
    device_id = new_id("trust")
    registry.create_device_with_sas(device_id, None, None, "enabled")
    assert registry.get_twin(device_id).device_id == device_id

    # A bundle without the emulator's CA: the TLS handshake fails, clearly.
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with pytest.raises(ConnectionFailedError):
        make(kind, hub.service_cs, timeout=5).get_twin(device_id)
