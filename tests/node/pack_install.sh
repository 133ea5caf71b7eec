#!/usr/bin/env bash
# Acceptance check: `npm pack` in bindings-node, `npm install <tarball>` into a fresh temporary
# project, and `require('iothub-twin')` there loads the facade and this platform's .node binary
# from the installed package (not from the source tree). No compilation: run after `napi build`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo/bindings-node"
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
tar -tzf "$work/$tarball" | grep -x 'package/iothub-twin.linux-x64-gnu.node' >/dev/null \
  || { echo "pack-install: the .node binary is not in $tarball"; exit 1; }
mkdir "$work/project"
cd "$work/project"
npm init -y >/dev/null
npm install --no-audit --no-fund --offline "$work/$tarball" >/dev/null
node -e "
const path = require('node:path');
const t = require('iothub-twin');
for (const name of ['Client', 'Mqtt', 'MqttWs', 'Registry', 'Twin', 'Query', 'errors']) {
  if (!t[name]) throw new Error('missing export ' + name);
}
const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
const installed = path.join(process.cwd(), 'node_modules', 'iothub-twin') + path.sep;
if (loaded.length !== 1 || !loaded[0].startsWith(installed)) throw new Error('native binary not loaded from the installed package: ' + loaded);
t.Registry.fromConnectionString('HostName=h;SharedAccessKeyName=k;SharedAccessKey=a2V5');
console.log('pack-install: ' + '$tarball' + ' installs; require(\"iothub-twin\") loads ' + path.relative(process.cwd(), loaded[0]));
"
