// The twin explorer page. It calls the emulator's REST API and control API with its session
// cookie (never a key), and follows /emulator/twin-events for live changes. Everything shown
// from the hub goes through textContent, never innerHTML.
'use strict';

const API_VERSION = '2021-04-12';
const $ = (id) => document.getElementById(id);
const state = { info: null, selected: null, twin: null, editorEtag: null, continuation: null, lastQuery: null };

async function call(method, path, { body, headers = {} } = {}) {
  const sep = path.includes('?') ? '&' : '?';
  const init = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${path}${sep}api-version=${API_VERSION}`, init);
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: response.status, ok: response.ok, json, text, headers: response.headers };
}

function problem(result) {
  const message = (result.json && (result.json.Message || result.json.message)) || result.text;
  return `${result.status}: ${message}`;
}

const enc = encodeURIComponent;
function identityPath(key) {
  return key.moduleId ? `/devices/${enc(key.deviceId)}/modules/${enc(key.moduleId)}` : `/devices/${enc(key.deviceId)}`;
}
function twinPath(key) {
  return key.moduleId ? `/twins/${enc(key.deviceId)}/modules/${enc(key.moduleId)}` : `/twins/${enc(key.deviceId)}`;
}
function keyText(key) { return key.moduleId ? `${key.deviceId}/${key.moduleId}` : key.deviceId; }
function sameKey(a, b) { return a && b && a.deviceId === b.deviceId && (a.moduleId || null) === (b.moduleId || null); }

function withoutMetadata(value) {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) if (k !== '$metadata') out[k] = withoutMetadata(v);
    return out;
  }
  return value;
}
const pretty = (value) => JSON.stringify(value, null, 2);

// ---- device list -------------------------------------------------------------------------

async function queryAll(text) {
  const items = [];
  let continuation = null;
  do {
    const headers = { 'x-ms-max-item-count': '100' };
    if (continuation) headers['x-ms-continuation'] = continuation;
    const result = await call('POST', '/devices/query', { body: { query: text }, headers });
    if (!result.ok) throw new Error(problem(result));
    items.push(...result.json);
    continuation = result.headers.get('x-ms-continuation');
  } while (continuation);
  return items;
}

async function loadDevices() {
  const filter = $('filter').value.trim();
  const text = 'SELECT * FROM devices' + (filter ? ` WHERE ${filter}` : '');
  try {
    const devices = await queryAll(text);
    $('devices-error').textContent = '';
    renderDevices(devices);
  } catch (e) {
    $('devices-error').textContent = `The filter failed: ${e.message}`;
  }
}

function renderDevices(devices) {
  const body = $('device-table').tBodies[0];
  body.replaceChildren();
  for (const device of devices) {
    const row = body.insertRow();
    row.dataset.deviceId = device.deviceId;
    if (state.selected && state.selected.deviceId === device.deviceId) row.className = 'selected';
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link';
    open.textContent = device.deviceId;
    open.setAttribute('aria-label', `Show the twin of ${device.deviceId}`);
    open.addEventListener('click', () => select({ deviceId: device.deviceId, moduleId: null }));
    row.insertCell().append(open);
    const connection = row.insertCell();
    connection.textContent = device.connectionState || '';
    if (device.connectionState === 'Connected') connection.className = 'connected';
    row.insertCell().textContent = device.lastActivityTime || '';
    row.insertCell().textContent = '';
  }
}

// ---- one identity: twin, modules, actions ------------------------------------------------

async function select(key) {
  state.selected = key;
  $('twin').hidden = false;
  $('twin-id').textContent = keyText(key);
  $('conflict').hidden = true;
  $('twin-status').textContent = '';
  $('modules-block').hidden = Boolean(key.moduleId);
  $('delete-identity').textContent = key.moduleId ? 'Delete module' : 'Delete device';
  for (const row of $('device-table').tBodies[0].rows) {
    row.className = row.dataset.deviceId === key.deviceId ? 'selected' : '';
  }
  // Busy until the twin (and the editor) hold this identity's state.
  $('twin').setAttribute('aria-busy', 'true');
  await refreshTwin({ editor: true });
  if (!key.moduleId) await loadModules(key.deviceId);
  if (sameKey(key, state.selected)) $('twin').setAttribute('aria-busy', 'false');
}

async function refreshTwin({ editor }) {
  const key = state.selected;
  if (!key) return;
  const result = await call('GET', twinPath(key));
  if (!sameKey(key, state.selected)) return;
  if (!result.ok) {
    $('twin-status').textContent = `Could not read the twin: ${problem(result)}`;
    return;
  }
  state.twin = result.json;
  renderPanes();
  if (editor) loadEditor(result.json);
}

function renderPanes() {
  const twin = state.twin || {};
  const show = $('show-metadata').checked ? (v) => v : withoutMetadata;
  const properties = twin.properties || {};
  $('pane-tags').textContent = pretty(twin.tags || {});
  $('pane-desired').textContent = pretty(show(properties.desired || {}));
  $('pane-reported').textContent = pretty(show(properties.reported || {}));
}

function loadEditor(twin) {
  const desired = { ...((twin.properties || {}).desired || {}) };
  delete desired.$metadata;
  delete desired.$version;
  $('editor').value = pretty({ tags: twin.tags || {}, properties: { desired } });
  state.editorEtag = twin.etag;
  $('editor-etag').textContent = twin.etag;
}

async function saveTwin(event) {
  event.preventDefault();
  const key = state.selected;
  let body;
  try {
    body = JSON.parse($('editor').value);
  } catch (e) {
    $('twin-status').textContent = `The editor does not hold valid JSON: ${e.message}`;
    return;
  }
  const result = await call('PUT', twinPath(key), { body, headers: { 'if-match': `"${state.editorEtag}"` } });
  if (result.ok) {
    $('conflict').hidden = true;
    state.twin = result.json;
    renderPanes();
    loadEditor(result.json);
    $('twin-status').textContent = `Saved; the twin's etag is now ${result.json.etag}.`;
    return;
  }
  if (result.status === 412) {
    const current = await call('GET', twinPath(key));
    if (current.ok) {
      state.twin = current.json;
      renderPanes();
    }
    $('conflict-text').textContent = `Conflict: the twin changed since you loaded it (your etag ${state.editorEtag}, `
      + `current ${current.ok ? current.json.etag : 'unknown'}). Nothing was overwritten; your edit is kept in the editor. `
      + 'The current twin:';
    $('conflict-twin').textContent = current.ok ? pretty(withoutMetadata(current.json)) : problem(current);
    $('conflict').hidden = false;
    $('twin-status').textContent = 'Not saved: conflict.';
    return;
  }
  $('twin-status').textContent = `Not saved: ${problem(result)}`;
}

async function loadModules(deviceId) {
  const list = $('module-list');
  const result = await call('GET', `/devices/${enc(deviceId)}/modules`);
  list.replaceChildren();
  if (!result.ok) {
    list.textContent = problem(result);
    return;
  }
  for (const module of result.json) {
    const item = document.createElement('li');
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'link';
    open.textContent = `${module.moduleId} (${module.connectionState})`;
    open.setAttribute('aria-label', `Show the twin of module ${module.moduleId}`);
    open.addEventListener('click', () => select({ deviceId, moduleId: module.moduleId }));
    item.append(open);
    list.append(item);
  }
  const row = [...$('device-table').tBodies[0].rows].find((r) => r.dataset.deviceId === deviceId);
  if (row) row.cells[3].textContent = result.json.map((m) => m.moduleId).join(', ');
}

async function createDevice(event) {
  event.preventDefault();
  const id = $('new-device-id').value.trim();
  const result = await call('PUT', `/devices/${enc(id)}`, { body: { deviceId: id } });
  if (!result.ok) {
    $('devices-error').textContent = `Could not create ${id}: ${problem(result)}`;
    return;
  }
  $('devices-error').textContent = '';
  $('new-device-id').value = '';
  await loadDevices();
  await select({ deviceId: id, moduleId: null });
}

async function createModule(event) {
  event.preventDefault();
  const deviceId = state.selected.deviceId;
  const moduleId = $('new-module-id').value.trim();
  const result = await call('PUT', `/devices/${enc(deviceId)}/modules/${enc(moduleId)}`, { body: { deviceId, moduleId } });
  $('twin-status').textContent = result.ok ? `Module ${moduleId} created.` : `Could not create the module: ${problem(result)}`;
  if (result.ok) {
    $('new-module-id').value = '';
    await loadModules(deviceId);
  }
}

async function deleteIdentity() {
  const key = state.selected;
  if (!window.confirm(`Delete ${keyText(key)}?`)) return;
  const result = await call('DELETE', identityPath(key), { headers: { 'if-match': '"*"' } });
  if (!result.ok) {
    $('twin-status').textContent = `Could not delete: ${problem(result)}`;
    return;
  }
  state.selected = null;
  $('twin').hidden = true;
  $('twin-status').textContent = '';
  await loadDevices();
  if (key.moduleId) await select({ deviceId: key.deviceId, moduleId: null });
}

async function copyConnectionString() {
  const key = state.selected;
  const result = await call('GET', identityPath(key));
  const primary = result.ok && result.json.authentication && result.json.authentication.symmetricKey
    && result.json.authentication.symmetricKey.primaryKey;
  if (!primary) {
    $('twin-status').textContent = result.ok ? 'This identity has no symmetric key.' : problem(result);
    return;
  }
  const info = state.info;
  let text = `HostName=${info.hostname};DeviceId=${key.deviceId}`;
  if (key.moduleId) text += `;ModuleId=${key.moduleId}`;
  text += `;SharedAccessKey=${primary}`;
  if (info.mqttPort !== 8883) text += `;GatewayHostName=${info.hostname}:${info.mqttPort}`;
  try {
    await navigator.clipboard.writeText(text);
    $('twin-status').textContent = 'Connection string copied to the clipboard.';
  } catch (e) {
    $('twin-status').textContent = `Could not copy: ${e.message}`;
  }
}

async function dropConnection() {
  const key = state.selected;
  const query = key.moduleId ? `?moduleId=${enc(key.moduleId)}` : '';
  const response = await fetch(`/emulator/connections/${enc(key.deviceId)}${query}`, { method: 'DELETE', credentials: 'same-origin' });
  $('twin-status').textContent = response.status === 204 ? 'Connection dropped.' : `No connection dropped (${response.status}).`;
  await loadDevices();
}

// ---- query console -----------------------------------------------------------------------

async function runQuery(next) {
  const text = next ? state.lastQuery : $('query-text').value;
  const headers = { 'x-ms-max-item-count': String($('page-size').value || 10) };
  if (next && state.continuation) headers['x-ms-continuation'] = state.continuation;
  const result = await call('POST', '/devices/query', { body: { query: text }, headers });
  if (!result.ok) {
    $('query-error').textContent = `The query failed: ${problem(result)}`;
    $('query-info').textContent = '';
    $('next-page').disabled = true;
    state.continuation = null;
    return;
  }
  $('query-error').textContent = '';
  state.lastQuery = text;
  state.page = next ? state.page + 1 : 1;
  state.continuation = result.headers.get('x-ms-continuation');
  $('next-page').disabled = !state.continuation;
  $('query-info').textContent = `Page ${state.page}: ${result.json.length} result(s)${state.continuation ? '; more pages follow' : '; last page'}.`;
  renderResults(result.json);
}

function renderResults(items) {
  const table = $('query-table');
  const columns = [...new Set(items.flatMap((item) => (item && typeof item === 'object' ? Object.keys(item) : ['value'])))];
  const head = table.tHead;
  head.replaceChildren();
  const headRow = head.insertRow();
  for (const column of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = column;
    headRow.append(th);
  }
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const item of items) {
    const row = body.insertRow();
    for (const column of columns) {
      const value = item && typeof item === 'object' ? item[column] : item;
      row.insertCell().textContent = value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
  }
  $('query-json').textContent = pretty(items);
}

// ---- live feed ---------------------------------------------------------------------------

let refreshTimer = null;
function scheduleListRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(loadDevices, 200);
}

function followFeed() {
  const source = new EventSource('/emulator/twin-events');
  source.addEventListener('open', () => { $('feed-state').textContent = 'Live feed: connected'; });
  source.addEventListener('error', () => { $('feed-state').textContent = 'Live feed: reconnecting…'; });
  const onChange = (event) => {
    const properties = JSON.parse(event.data).properties;
    const key = { deviceId: properties.deviceId, moduleId: properties.moduleId || null };
    scheduleListRefresh();
    const selected = state.selected;
    const gone = properties.opType === 'deleteDeviceIdentity' && selected
      && key.deviceId === selected.deviceId && (!key.moduleId || key.moduleId === selected.moduleId);
    if (gone) {
      // Deleted (here or elsewhere): nothing left to read.
      state.selected = null;
      $('twin').hidden = true;
      $('feed-state').textContent = `Live feed: connected; ${keyText(key)} was deleted`;
    } else if (sameKey(key, selected)) refreshTwin({ editor: false });
    else if (state.selected && !state.selected.moduleId && key.moduleId && key.deviceId === state.selected.deviceId) {
      loadModules(key.deviceId);
    }
  };
  source.addEventListener('twinChangeNotification', onChange);
  source.addEventListener('deviceLifecycleNotification', onChange);
  source.addEventListener('fell-behind', () => {
    // Missed changes: start over from the current state.
    source.close();
    $('feed-state').textContent = 'Live feed: fell behind; reloaded';
    loadDevices();
    refreshTwin({ editor: false });
    followFeed();
  });
}

async function start() {
  const info = await fetch('/explorer/info', { credentials: 'same-origin' });
  state.info = await info.json();
  $('hub-name').textContent = state.info.hostname;
  $('filter-form').addEventListener('submit', (e) => { e.preventDefault(); loadDevices(); });
  $('create-device-form').addEventListener('submit', createDevice);
  $('create-module-form').addEventListener('submit', createModule);
  $('edit-form').addEventListener('submit', saveTwin);
  $('reload-editor').addEventListener('click', () => { if (state.twin) { loadEditor(state.twin); $('conflict').hidden = true; } });
  $('show-metadata').addEventListener('change', renderPanes);
  $('delete-identity').addEventListener('click', deleteIdentity);
  $('copy-connection-string').addEventListener('click', copyConnectionString);
  $('drop-connection').addEventListener('click', dropConnection);
  $('query-form').addEventListener('submit', (e) => { e.preventDefault(); runQuery(false); });
  $('next-page').addEventListener('click', () => runQuery(true));
  followFeed();
  await loadDevices();
  // Connection state and last activity are not twin changes, so the feed does not carry them.
  setInterval(loadDevices, 5000);
}

document.addEventListener('DOMContentLoaded', start);
