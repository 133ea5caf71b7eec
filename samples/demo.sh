#!/usr/bin/env bash
# make demo: start the emulator (temporary data dir, free ports), run the guides' device and
# back-end flows against it, print what happened, stop the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
target="target/${CARGO_BUILD_TARGET:?set by the Makefile}/debug"

cargo build --quiet --locked -p iothub-twin-emulator -p iothub-twin-samples
# The Node package (samples/node): its build tools once, then the native addon (debug).
[ -f bindings-node/node_modules/.package-lock.json ] || (cd bindings-node && npm ci --no-audit --no-fund --silent)
(cd bindings-node && npx napi build --platform >/dev/null 2>&1) || { echo "napi build failed"; exit 1; }

echo "== 1. Connection strings and SAS tokens (core auth)"
"$target/auth_demo"

work=$(mktemp -d)
emulator_pid=""
cleanup() {
    [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo
echo "== 2. The local IoT Hub emulator"
mkfifo "$work/ready"
"$target/iothub-twin-emulator" --data-dir "$work/data" --https-port 0 --mqtt-port 0 \
    --device myDeviceId --device pyDevice --device fw1 --device fw2 --device fw3 \
    --configuration-interval 1s \
    --device py-line1 --device py-line2 --device node-line1 --device node-line2 \
    --device rs-line1 --device rs-line2 \
    >"$work/ready" 2>"$work/emulator.log" &
emulator_pid=$!
read -r ready <"$work/ready"
field() { python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(eval("r" + sys.argv[2]))' "$ready" "$1"; }
device_cs=$(field '["devices"]["myDeviceId"]')
service_cs=$(field '["service_connection_string"]')
ca=$(field '["ca_cert"]')
echo "emulator ready: REST on port $(field '["https_port"]'), MQTT on port $(field '["mqtt_port"]'), CA $ca"

echo
echo "== 3. The guides' device app (samples/rust device_flow) and back-end app (service_flow)"
"$target/device_flow" --ca "$ca" --wait-desired 30 "$device_cs" | tee "$work/device.out" &
device_pid=$!
# The back-end app runs once the device has reported (its second query looks for that), then
# sets desired power_level; the device app prints the patch it receives.
for _ in $(seq 1 300); do
    grep -q "reported connectivity" "$work/device.out" 2>/dev/null && break
    sleep 0.1
done
"$target/service_flow" "$service_cs" "$ca" myDeviceId | sed -e 's/^/[back-end] /'
wait "$device_pid"

echo
echo "== 4. The Python guide's device and back-end apps (samples/python: only the imports changed)"
make --no-print-directory python-module
py_cs=$(field '["devices"]["pyDevice"]')
export SSL_CERT_FILE="$ca" REQUESTS_CA_BUNDLE="$ca"  # the guide's code passes no CA
# Job control on for this one launch: otherwise a background job starts with SIGINT ignored,
# and the guide's app stops on Ctrl-C (KeyboardInterrupt) only.
set -m
.venv/bin/python -u samples/python/device_app.py "$py_cs" >"$work/py-device.out" 2>&1 &
py_device_pid=$!
set +m
for _ in $(seq 1 300); do
    grep -q "Reported properties updated" "$work/py-device.out" 2>/dev/null && break
    sleep 0.1
done
.venv/bin/python samples/python/service_app.py "$service_cs" pyDevice | sed -e 's/^/[back-end] /'
for _ in $(seq 1 300); do
    grep -q "power_level" "$work/py-device.out" 2>/dev/null && break
    sleep 0.1
done
kill -INT "$py_device_pid"
wait "$py_device_pid"
sed -e 's/^/[device] /' "$work/py-device.out"

echo
echo "== 5. The Node guide's apps (samples/node: the official guide code, only the require lines changed)"
# require('iothub-twin') resolves to bindings-node; the emulator's CA is trusted the way the
# official SDK would be told to: NODE_EXTRA_CA_CERTS.
mkdir "$work/node_path" && ln -s "$PWD/bindings-node" "$work/node_path/iothub-twin"
NODE_PATH="$work/node_path" NODE_EXTRA_CA_CERTS="$ca" IOTHUB_DEVICE_CONNECTION_STRING="$device_cs" \
    node samples/node/ReportConnectivity.js | sed -e 's/^/[node device] /'
NODE_PATH="$work/node_path" NODE_EXTRA_CA_CERTS="$ca" IOTHUB_CONNECTION_STRING="$service_cs" \
    node samples/node/AddTagsAndQuery.js | sed -e 's/^/[node back-end] /'

echo
echo "== 6. Automatic device configurations: a plant-wide telemetry interval and a higher-priority"
echo "==    one for a test ring; devices read the winning values, the back end reads the metrics"
"$target/configurations" "$service_cs" "$ca" \
    "$(field '["devices"]["rs-line1"]')" "$(field '["devices"]["rs-line2"]')" rs | sed -e 's/^/[rust] /'
.venv/bin/python -u samples/python/configurations_app.py "$service_cs" \
    "$(field '["devices"]["py-line1"]')" "$(field '["devices"]["py-line2"]')" py | sed -e 's/^/[python] /'
NODE_PATH="$work/node_path" NODE_EXTRA_CA_CERTS="$ca" node samples/node/Configurations.js "$service_cs" \
    "$(field '["devices"]["node-line1"]')" "$(field '["devices"]["node-line2"]')" node | sed -e 's/^/[node] /'
echo "== 7. A fleet firmware rollout with a scheduled twin-update job, in each language"
echo "   (samples/*/firmware_rollout: bulk-tag plant Redmond43, one job, follow it and a GROUP BY"
echo "   over properties.reported.firmware.status until every device reports done)"
fleet=("$(field '["devices"]["fw1"]')" "$(field '["devices"]["fw2"]')" "$(field '["devices"]["fw3"]')")
FIRMWARE_VERSION=2.0 "$target/firmware_rollout" "$service_cs" "$ca" "${fleet[@]}" | sed -e 's/^/[rust] /'
FIRMWARE_VERSION=2.1 .venv/bin/python samples/python/firmware_rollout.py "$service_cs" "${fleet[@]}" \
    | sed -e 's/^/[python] /'
FIRMWARE_VERSION=2.2 NODE_PATH="$work/node_path" NODE_EXTRA_CA_CERTS="$ca" IOTHUB_CONNECTION_STRING="$service_cs" \
    node samples/node/FirmwareRollout.js "${fleet[@]}" | sed -e 's/^/[node] /'

echo
echo "== emulator log (stderr) =="
sed -e 's/^/  /' "$work/emulator.log"
