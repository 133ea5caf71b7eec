"""Drop-in parity with the installed official packages (azure-iot-device, azure-iot-hub).

The official names are enumerated from the installed packages, not listed by hand: the IoT Hub
device clients (``azure.iot.device.iothub``'s ``__all__``, sync and aio, their public methods,
properties and the keyword options their factories accept), ``X509`` and ``ProxyOptions``,
``IoTHubRegistryManager``'s public methods, and the attributes of the twin and identity models.
Every one must exist in iothub_twin with the same parameter names, unless it is in
``OUT_OF_SCOPE`` (not twins; those must fail at once with an error naming the official package).
Provisioning (``azure.iot.device.provisioning``) and the hub's configuration, job, HTTP runtime
and digital-twin managers are other services and are not enumerated.
"""

import inspect
import pathlib

import pytest

import azure.iot.device as official_device
import azure.iot.device.aio as official_device_aio
import azure.iot.device.iothub as official_iothub
import azure.iot.hub as official_hub
import azure.iot.hub.models as official_models
from azure.iot.device.iothub import abstract_clients

import iothub_twin
import iothub_twin.aio
import iothub_twin.models

# The names outside the twin scope, by what they are for. Nothing else may be missing.
OUT_OF_SCOPE = {
    "telemetry": {"Message", "send_message", "send_message_to_output", "receive_message_on_input"},
    "direct methods": {
        "MethodRequest", "MethodResponse", "on_method_request_received", "receive_method_request",
        "send_method_response", "invoke_method", "invoke_device_method", "invoke_device_module_method",
    },
    "cloud-to-device messages": {"receive_message", "on_message_received", "send_c2d_message"},
    "file upload": {"get_storage_info_for_blob", "notify_blob_upload_status"},
    "IoT Edge environment": {"create_from_edge_environment"},
}
OUT_OF_SCOPE_NAMES = set().union(*OUT_OF_SCOPE.values())

# In scope but not done yet. Not an exemption: each must still be missing (the test fails once
# one exists, so the list only shrinks), and the package README lists them as open.
KNOWN_GAPS: set = set()

MODELS = (
    "Twin", "TwinProperties", "QuerySpecification", "QueryResult", "Device", "Module",
    "AuthenticationMechanism", "SymmetricKey", "X509Thumbprint", "DeviceCapabilities",
)


def public(cls):
    return sorted(n for n in dir(cls) if not n.startswith("_"))


def official_pairs():
    """(where, official object, our container or None, name) for every enumerated official name."""
    pairs = []
    for name in official_iothub.__all__ + ["X509", "ProxyOptions"]:
        pairs.append(("azure.iot.device", getattr(official_device, name), iothub_twin, name))
    for client in ("IoTHubDeviceClient", "IoTHubModuleClient"):
        for official_mod, ours_mod, where in (
            (official_device, iothub_twin, "azure.iot.device"),
            (official_device_aio, iothub_twin.aio, "azure.iot.device.aio"),
        ):
            official_cls, ours_cls = getattr(official_mod, client), getattr(ours_mod, client, None)
            for name in public(official_cls):
                pairs.append((f"{where}.{client}", getattr(official_cls, name), ours_cls, name))
    manager = official_hub.IoTHubRegistryManager
    for ours_cls, where in ((iothub_twin.IoTHubRegistryManager, "azure.iot.hub"),
                            (iothub_twin.aio.IoTHubRegistryManager, "iothub_twin.aio")):
        for name in public(manager):
            pairs.append((f"{where}.IoTHubRegistryManager", getattr(manager, name), ours_cls, name))
    return pairs


PAIRS = official_pairs()
IN_SCOPE = [p for p in PAIRS if p[3] not in OUT_OF_SCOPE_NAMES]
OUT = [p for p in PAIRS if p[3] in OUT_OF_SCOPE_NAMES]


def ids(pairs):
    return [f"{p[0]}.{p[3]}" for p in pairs]


@pytest.mark.parametrize("where,official,container,name", IN_SCOPE, ids=ids(IN_SCOPE))
def test_every_official_twin_name_exists(where, official, container, name):
    ours = getattr(container, name, None) if container is not None else None
    if name in KNOWN_GAPS:
        assert ours is None, f"{where}.{name} exists now: take it off KNOWN_GAPS"
        return
    assert ours is not None, f"{where}.{name} has no counterpart in iothub_twin"
    if inspect.isfunction(official) or inspect.ismethod(official):
        theirs = [p for p in inspect.signature(official).parameters if p not in ("self", "cls")]
        our_params = inspect.signature(ours).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in our_params.values()):
            missing = [p for p in theirs if p not in our_params and not p.startswith("*")]
            assert not missing, f"{where}.{name} lacks parameters {missing}"


@pytest.mark.parametrize("where,official,container,name", OUT, ids=ids(OUT))
def test_out_of_scope_names_fail_loudly(where, official, container, name):
    """Importing or touching a name outside the twin scope fails at once, pointing elsewhere."""
    assert container is not None, f"{where} is missing"
    with pytest.raises(iothub_twin.exceptions.OutOfScopeError) as err:
        value = getattr(container, name)  # a module's names fail here
        value()  # a class's, when called (on an instance, reading them fails)
    assert "device twins" in str(err.value) and "azure-iot-" in str(err.value), str(err.value)


def test_out_of_scope_import_fails_loudly():
    with pytest.raises(ImportError, match="device twins"):
        from iothub_twin import Message  # noqa: F401


OPTIONS = sorted(inspect.getsource(abstract_clients._validate_kwargs)
                 .split("valid_kwargs = [")[1].split("]")[0].replace('"', "").replace(",", " ").split())
OPTION_VALUES = {"server_verification_cert": None, "gateway_hostname": None, "websockets": True, "cipher": "",
                 "product_info": "p", "proxy_options": None, "sastoken_ttl": 3600, "keep_alive": 60,
                 "auto_connect": True, "connection_retry": True, "connection_retry_interval": 10,
                 "ensure_desired_properties": True}
KEY = "a2V5" * 8
FACTORIES = {
    "create_from_connection_string": (f"HostName=h.example;DeviceId=d;SharedAccessKey={KEY}",),
    "create_from_symmetric_key": (KEY, "h.example", "d"),
}


@pytest.mark.parametrize("factory", sorted(FACTORIES))
@pytest.mark.parametrize("option", OPTIONS)
def test_every_official_client_option_is_taken_where_the_official_takes_it(factory, option):
    """Each keyword option is accepted by our factory exactly when the official one accepts it."""
    kwargs = {option: OPTION_VALUES[option]}
    try:
        getattr(official_device.IoTHubDeviceClient, factory)(*FACTORIES[factory], **kwargs).shutdown()
        official_accepts = True
    except TypeError:
        official_accepts = False
    for ours in (iothub_twin.IoTHubDeviceClient, iothub_twin.aio.IoTHubDeviceClient):
        if official_accepts:
            getattr(ours, factory)(*FACTORIES[factory], **kwargs)
        else:
            with pytest.raises(TypeError):
                getattr(ours, factory)(*FACTORIES[factory], **kwargs)


@pytest.mark.parametrize("model", MODELS)
def test_every_official_model_attribute_exists(model):
    official_cls = getattr(official_models, model)
    ours = getattr(iothub_twin.models, model, None)
    assert ours is not None, f"azure.iot.hub.models.{model} has no counterpart"
    instance = ours()
    missing = [a for a in official_cls._attribute_map if not hasattr(instance, a)]
    assert not missing, f"{model} lacks {missing}"


def test_the_readme_table_names_every_official_name():
    readme = (pathlib.Path(__file__).parents[2] / "bindings-python" / "README.md").read_text()
    table = readme.split("## Parity with the official SDKs")[1].split("\n## ")[0]
    names = {p[3] for p in PAIRS} | set(MODELS)
    missing = sorted(n for n in names if n not in table)
    assert not missing, f"bindings-python/README.md's parity table lacks {missing}"


def test_out_of_scope_list_is_item_two_only():
    assert set(OUT_OF_SCOPE) == {"telemetry", "direct methods", "cloud-to-device messages",
                                 "file upload", "IoT Edge environment"}
    enumerated = {p[3] for p in PAIRS}
    assert OUT_OF_SCOPE_NAMES <= enumerated, OUT_OF_SCOPE_NAMES - enumerated


