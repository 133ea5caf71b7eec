// Type-checked (never run) with `tsc --noEmit -p bindings-node/tsconfig.json`: the guide's code
// and every public call of the facade, in callback and Promise form, so the hand-written
// lib/index.d.ts cannot drift from the API the tests exercise.
import {
  Client, DeviceTwin, Mqtt, MqttWs, Registry, Twin, Query, errors, type ErrorCode, type TokenCredential,
  type Configuration, type RegistryStatistics,
} from 'iothub-twin';
import * as native from 'iothub-twin/index.js';

async function device(cs: string, ca: string): Promise<void> {
  const client: Client = Client.fromConnectionString(cs, Mqtt);
  Client.fromSharedAccessSignature('SharedAccessSignature sr=h%2Fdevices%2Fd&sig=x&se=1', MqttWs);
  await client.setOptions({ ca, cert: Buffer.from(''), key: '', gatewayHostName: 'localhost:8883', keepalive: 30 });
  client.setOptions({ ca }, (err) => { if (err) throw err; });
  client.on('connect', () => undefined);
  client.on('disconnect', (result) => console.log(result.reason));
  client.on('error', (err) => console.log(err.message));
  const connected = await client.open();
  const kind: 'Connected' = connected.type;
  client.open((err, result) => console.log(err, result?.type, kind));
  const twin: DeviceTwin = await client.getTwin();
  twin.on('properties.desired', (patch) => console.log(patch.$version));
  twin.on('properties.desired.climate.maxTemperature', (value) => console.log(value));
  await twin.properties.reported.update({ connectivity: { type: 'cellular' } });
  twin.properties.reported.update({ a: null }, (err) => console.log(err));
  const version: number | undefined = twin.properties.desired.$version;
  console.log(version);
  await twin.get();
  client.getTwin((err, t) => t?.properties.reported.update({}, () => undefined));
  const closed = await client.close();
  console.log(closed.type);
  client.close((err) => console.log(err));
}

async function service(cs: string, credential: TokenCredential): Promise<void> {
  const registry = Registry.fromConnectionString(cs, { ca: 'pem', timeoutSecs: 10 });
  const viaEntra: Registry = Registry.fromTokenCredential('myhub.azure-devices.net', credential);
  const { responseBody: device } = await registry.create({ deviceId: 'd', authentication: { type: 'sas' } });
  console.log(device.etag);
  registry.get('d', (err, d, response) => console.log(err, d?.deviceId, response?.statusCode));
  await registry.delete('d');
  await registry.addModule({ deviceId: 'd', moduleId: 'm' });
  const { responseBody: twin } = await viaEntra.getTwin('d');
  const updated: Twin = (await twin.update({ tags: { location: { region: 'US' } } })).result;
  twin.update({}, (err, t) => console.log(t?.etag));
  await twin.get();
  await registry.updateTwin('d', { properties: { desired: { power_level: 1 } } }, updated.etag);
  registry.updateModuleTwin('d', 'm', {}, '*', (err, t) => console.log(t?.moduleId));
  await registry.replaceTwin('d', { tags: {} }, '*');
  registry.replaceTwin('d', { tags: {} }, (err, t) => console.log(t?.tags));
  await registry.replaceModuleTwin('d', 'm', { tags: {} });
  await registry.getModuleTwin('d', 'm');
  const query: Query = registry.createQuery("SELECT * FROM devices WHERE tags.location.plant = 'Redmond43'", 100);
  while (query.hasMoreResults) {
    const { result } = await query.nextAsTwin();
    console.log(result.map((t) => t.deviceId));
  }
  query.next((err, items) => console.log(items?.length));
  query.nextAsTwin((err, twins) => twins?.forEach((t) => t.update({}, () => undefined)));
  const configuration: Configuration = {
    id: 'plant-wide',
    targetCondition: "tags.plant = 'north'",
    content: { deviceContent: { 'properties.desired.telemetry.interval': 30 } },
    priority: 1,
    metrics: { queries: { slow: 'SELECT deviceId FROM devices' } },
  };
  const { responseBody: added } = await registry.addConfiguration(configuration);
  registry.getConfiguration('plant-wide', (err, c) => console.log(c?.systemMetrics?.results?.appliedCount));
  const all: Configuration[] = (await registry.getConfigurations()).responseBody;
  await registry.updateConfiguration({ ...added, priority: 2 });
  registry.updateConfiguration(added, true, (err, c) => console.log(c?.etag));
  await registry.removeConfiguration('plant-wide');
  const statistics: RegistryStatistics = (await registry.getRegistryStatistics()).responseBody;
  console.log(all.length, statistics.totalDeviceCount);
}

function handle(err: unknown): ErrorCode | undefined {
  if (err instanceof errors.DeviceNotFoundError || err instanceof errors.InvalidEtagError) {
    console.log(err.name, err.statusCode, err.errorCode);
    return err.code;
  }
  return undefined;
}

async function raw(cs: string): Promise<void> {
  // The generated native typings are usable too.
  const client: native.DeviceClient = await native.connectDevice(cs, { transport: 'mqtt' });
  client.watch((patch) => console.log(patch), (state) => console.log(state));
  await client.close();
}

export { device, service, handle, raw };

// Parity names (type-checked only).
import { ModuleClient, SharedAccessSignature, ServiceSharedAccessSignature, ConnectionString, clientFromConnectionString } from 'iothub-twin';
async function parityUsage(host: string, key: string): Promise<void> {
  const sas = SharedAccessSignature.create(host, 'dev', key, Math.floor(Date.now() / 1000) + 60);
  const moduleClient = ModuleClient.fromSharedAccessSignature(sas.toString(), Mqtt);
  const configured: { type: 'TransportConfigured' } = await moduleClient.setOptions({ keepalive: 30, tokenRenewal: { tokenValidTimeInSeconds: 600, tokenRenewalMarginInSeconds: 60 } });
  const updated = await moduleClient.updateSharedAccessSignature(sas.toString());
  const needs: boolean = updated.needToReconnect;
  const service: string = ServiceSharedAccessSignature.create(host, 'owner', key, 0).toString();
  const parts: { [name: string]: string } = ConnectionString.parse(ConnectionString.createWithSharedAccessKey(host, 'dev', key));
  const client = clientFromConnectionString(service);
  void [configured, needs, parts, client];
}
void parityUsage;
