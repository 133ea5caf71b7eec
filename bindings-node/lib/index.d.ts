// Types of the iothub-twin facade (hand-written; type-checked against tests/node/types/usage.ts
// with `tsc --noEmit`). The raw native module's types are generated into ../index.d.ts.
/// <reference types="node" />
import { EventEmitter } from 'node:events';

/** A Node callback: `(err)` on failure, `(null, result)` on success. */
export type Callback<T> = (err?: Error | null, result?: T) => void;
/** A Node callback that also gets the (minimal) HTTP response. */
export type HttpResponseCallback<T> = (err?: Error | null, result?: T, response?: HttpResponse) => void;

/** The HTTP response of a successful call (the status only). */
export interface HttpResponse {
  statusCode: number;
}
/** What azure-iothub's promise-returning Registry calls resolve to. */
export interface ResultWithHttpResponse<T> {
  responseBody: T;
  httpResponse: HttpResponse;
}
/** What azure-iothub's promise-returning Twin and Query calls resolve to. */
export interface ResultWithIncomingMessage<T> {
  result: T;
  message: HttpResponse;
}

/** Transport marker: MQTT over TLS (port 8883), like azure-iot-device-mqtt's `Mqtt`. */
export declare class Mqtt {
  static readonly transportName: 'mqtt';
}
/** Transport marker: MQTT over WebSockets (port 443), like azure-iot-device-mqtt's `MqttWs`. */
export declare class MqttWs {
  static readonly transportName: 'mqttWs';
}
/** Also azure-iot-device-mqtt's own `Mqtt` / `MqttWs` classes (taken by name). */
export type TransportCtor = typeof Mqtt | typeof MqttWs | (new (...args: any[]) => any);

/** PEM text, a Buffer of it, or several. */
export type Pem = string | Buffer | Array<string | Buffer>;

/** Device client options (`ca`, `cert`, `key` as in azure-iot-device; the rest are extensions). */
export interface DeviceClientOptions {
  /** Certificates to trust instead of Node's roots + NODE_EXTRA_CA_CERTS. */
  ca?: Pem;
  /** X.509 client certificate chain (with `x509=true` connection strings). */
  cert?: Pem;
  /** The X.509 client certificate's private key. */
  key?: Pem;
  /** `host:port` to connect to instead of `GatewayHostName`/`HostName`. */
  gatewayHostName?: string;
  /** IoT Plug and Play model id. */
  modelId?: string;
  /** Appended to the client type the hub records. */
  productInfo?: string;
  /** MQTT keep-alive, seconds. */
  keepalive?: number;
  /** Deadline of every operation, seconds (default 60). */
  operationTimeoutSecs?: number;
  /** Lifetime of SAS tokens made from a key, seconds (default 3600). */
  sasTokenTtlSecs?: number;
  /** `false`: no reconnecting after a lost connection; the client then fails (default true). */
  connectionRetry?: boolean;
  /** Paths of the PEM certificate chain and key (read at `setOptions`). */
  certFile?: string;
  keyFile?: string;
  /** As azure-iot-device: each SAS token's lifetime (the core renews at 80 % of it). */
  tokenRenewal?: { tokenValidTimeInSeconds: number; tokenRenewalMarginInSeconds: number };
  /** Not supported (refused with an ArgumentError rather than ignored). */
  passphrase?: never;
  /** An HTTP CONNECT proxy, `http://[user:password@]host[:port]` (default: `HTTPS_PROXY`). */
  proxy?: string;
  /** azure-iot-device's per-transport options; `mqtt.webSocketAgent`'s proxy URL (`agent.proxy`, as https-proxy-agent keeps it) is tunnelled through by the core. */
  mqtt?: { [key: string]: any };
  http?: { [key: string]: any };
  amqp?: { [key: string]: any };
}

/** Result of `setOptions` (as azure-iot-common's `results.TransportConfigured`). */
export interface TransportConfigured {
  type: 'TransportConfigured';
}
/** Result of `updateSharedAccessSignature`. */
export interface SharedAccessSignatureUpdated {
  type: 'SharedAccessSignatureUpdated';
  needToReconnect: boolean;
}

/** Result of `open` (as azure-iot-common's `results.Connected`). */
export interface Connected {
  type: 'Connected';
}
/** Result of `close` and argument of the `disconnect` event (as `results.Disconnected`). */
export interface Disconnected {
  type: 'Disconnected';
  reason?: string;
}

/** Reported properties, with `update` to patch them. */
export interface ReportedProperties {
  [key: string]: any;
  /** Merges `patch` into the reported properties (null deletes a key). */
  update(patch: object, done: (err?: Error | null) => void): void;
  update(patch: object): Promise<void>;
}

/** A device twin as azure-iot-device's `Twin`. */
export declare class DeviceTwin extends EventEmitter {
  properties: {
    desired: { [key: string]: any; $version?: number };
    reported: ReportedProperties;
  };
  /** Reads the twin again; `properties.desired` events fire for the whole document. */
  get(done: Callback<DeviceTwin>): void;
  get(): Promise<DeviceTwin>;
  /** `'properties.desired'` gets each patch; `'properties.desired.<path>'` that part of it. */
  on(event: 'properties.desired' | `properties.desired.${string}`, listener: (value: any) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** A device client as azure-iot-device's `Client`. */
export declare class Client extends EventEmitter {
  static fromConnectionString(connStr: string, transportCtor: TransportCtor): Client;
  static fromSharedAccessSignature(sharedAccessSignature: string, transportCtor: TransportCtor): Client;
  static fromAuthenticationProvider(authenticationProvider: AuthenticationProvider, transportCtor: TransportCtor): Client;
  setOptions(options: DeviceClientOptions, done: Callback<TransportConfigured>): void;
  setOptions(options: DeviceClientOptions): Promise<TransportConfigured>;
  /** Checked as azure-iot-device does; a policy that never retries turns reconnecting off. */
  setRetryPolicy(policy: { shouldRetry(err: Error): boolean; nextRetryTimeout(retryCount: number, throttled: boolean): number }): void;
  updateSharedAccessSignature(sharedAccessSignature: string, done: Callback<SharedAccessSignatureUpdated>): void;
  updateSharedAccessSignature(sharedAccessSignature: string): Promise<SharedAccessSignatureUpdated>;
  open(done: Callback<Connected>): void;
  open(): Promise<Connected>;
  close(done: Callback<Disconnected>): void;
  close(): Promise<Disconnected>;
  getTwin(done: Callback<DeviceTwin>): void;
  getTwin(): Promise<DeviceTwin>;
  on(event: 'connect', listener: () => void): this;
  on(event: 'disconnect', listener: (result: Disconnected) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** A module twin client, as azure-iot-device's `ModuleClient` (`fromEnvironment` is out of scope). */
export declare class ModuleClient extends Client {
  static fromConnectionString(connStr: string, transportCtor: TransportCtor): ModuleClient;
  static fromSharedAccessSignature(sharedAccessSignature: string, transportCtor: TransportCtor): ModuleClient;
}
/** `iothub-twin/<version> (<platform>)<productInfo>`. */
export declare function getUserAgentString(productInfo?: string): Promise<string>;
export declare function getUserAgentString(productInfo: string | undefined, done: Callback<string>): void;
export declare function getUserAgentString(done: Callback<string>): void;
/** azure-iothub's deprecated `Device` model: its defaults with the description merged over them. */
export declare class Device {
  constructor(jsonData?: string | DeviceDescription);
}
/** `?api-version=…`, the REST api-version the core speaks. */
export declare function versionQueryString(): string;
/** azure-iot-device's authentication providers, for `Client.fromAuthenticationProvider`. */
export interface AuthenticationProvider {}
export declare class SharedAccessKeyAuthenticationProvider implements AuthenticationProvider {
  static fromConnectionString(connectionString: string, tokenValidTimeInSeconds?: number, tokenRenewalMarginInSeconds?: number): SharedAccessKeyAuthenticationProvider;
  setTokenRenewalValues(tokenValidTimeInSeconds: number, tokenRenewalMarginInSeconds?: number): void;
}
export declare class SharedAccessSignatureAuthenticationProvider implements AuthenticationProvider {
  static fromSharedAccessSignature(sharedAccessSignature: string): SharedAccessSignatureAuthenticationProvider;
  updateSharedAccessSignature(sharedAccessSignature: string): void;
}
export declare class X509AuthenticationProvider implements AuthenticationProvider {
  static fromX509Options(deviceId: string, iotHubHostname: string, x509info: { cert?: Pem; key?: Pem; certFile?: string; keyFile?: string }): X509AuthenticationProvider;
}
/** azure-iot-device-mqtt's shortcut: a Client over MQTT. */
export declare function clientFromConnectionString(connStr: string): Client;

/** A SAS token's fields (percent-encoded, as in the token); `toString()` is the token. */
export declare class SharedAccessSignature {
  sr: string;
  sig: string;
  se: number;
  skn?: string;
  /** A device token for `host`/devices/`deviceId` (azure-iot-device). */
  static create(host: string, deviceId: string, key: string, expiry: number): SharedAccessSignature;
  static parse(source: string): SharedAccessSignature;
  toString(): string;
}
/** azure-iothub's `SharedAccessSignature`: a service token for policy `policy`. */
export declare class ServiceSharedAccessSignature extends SharedAccessSignature {
  static create(host: string, policy: string, key: string, expiry: number): ServiceSharedAccessSignature;
  static parse(source: string): ServiceSharedAccessSignature;
}
/** azure-iot-common's `ConnectionString` (with azure-iot-device's `createWith…`). */
export declare const ConnectionString: {
  parse(source: string, requiredFields?: string[]): { [name: string]: string };
  createWithSharedAccessKey(hostName: string, deviceId: string, symmetricKey: string): string;
  createWithX509Certificate(hostName: string, deviceId: string): string;
};

/** Registry options (extensions of azure-iothub's). */
export interface RegistryOptions {
  /** Certificates to trust instead of Node's roots + NODE_EXTRA_CA_CERTS. */
  ca?: Pem;
  /** Deadline of each call, retries included, seconds (default 60). */
  timeoutSecs?: number;
  /** Appended to the User-Agent header. */
  productInfo?: string;
  /** An HTTP CONNECT proxy, `http://[user:password@]host[:port]` (default: `HTTPS_PROXY`). */
  proxy?: string;
}

/** An `@azure/identity`-style credential. */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: any): Promise<{ token: string; expiresOnTimestamp?: number } | null>;
}

/** A device description for `Registry.create`. */
export interface DeviceDescription {
  deviceId: string;
  status?: 'enabled' | 'disabled';
  authentication?: {
    type?: 'sas' | 'selfSigned' | 'certificateAuthority' | 'none';
    symmetricKey?: { primaryKey?: string; secondaryKey?: string };
    x509Thumbprint?: { primaryThumbprint?: string; secondaryThumbprint?: string };
  };
  [key: string]: any;
}
/** A device identity as the hub returns it. */
export interface Device extends DeviceDescription {
  etag?: string;
  generationId?: string;
  connectionState?: string;
}
/** A module description for `Registry.addModule`. */
export interface ModuleDescription {
  deviceId: string;
  moduleId: string;
  [key: string]: any;
}

/** `content` of a configuration: `properties.desired.<path>` to value (modules content is not supported). */
export interface ConfigurationContent {
  deviceContent?: { [path: string]: any };
  modulesContent?: { [moduleId: string]: { [key: string]: any } };
  moduleContent?: { [path: string]: any };
}
/** Metric queries by name, and their results (counts of twins) as the hub reads them. */
export interface ConfigurationMetrics {
  results?: { [name: string]: number };
  queries?: { [name: string]: string };
}
/** An automatic device configuration, as azure-iothub's `Configuration`. */
export interface Configuration {
  id: string;
  schemaVersion?: string;
  labels?: { [key: string]: string };
  content?: ConfigurationContent;
  targetCondition?: string;
  createdTimeUtc?: string;
  lastUpdatedTimeUtc?: string;
  priority?: number;
  systemMetrics?: ConfigurationMetrics;
  metrics?: ConfigurationMetrics;
  etag?: string;
  [key: string]: any;
}
/** `Registry.getRegistryStatistics`'s answer. */
export interface RegistryStatistics {
  totalDeviceCount: number;
  enabledDeviceCount: number;
  disabledDeviceCount: number;
}

/** A twin as azure-iothub's `Twin`: its fields, plus `get` and `update`. */
export declare class Twin {
  deviceId: string;
  moduleId?: string;
  etag: string;
  tags: { [key: string]: any };
  properties: {
    desired: { [key: string]: any };
    reported: { [key: string]: any };
  };
  [key: string]: any;
  get(done: HttpResponseCallback<Twin>): void;
  get(): Promise<ResultWithIncomingMessage<Twin>>;
  /** Merges `patch` if this twin's etag still holds (else InvalidEtagError). */
  update(patch: object, done: HttpResponseCallback<Twin>): void;
  update(patch: object): Promise<ResultWithIncomingMessage<Twin>>;
  toJSON(): object;
}

/** A twin query as azure-iothub's `Query`. */
export declare class Query {
  hasMoreResults: boolean;
  continuationToken: string | null;
  next(continuationToken: string, done: HttpResponseCallback<any[]>): void;
  next(done: HttpResponseCallback<any[]>): void;
  next(continuationToken?: string): Promise<ResultWithIncomingMessage<any[]>>;
  nextAsTwin(continuationToken: string, done: HttpResponseCallback<Twin[]>): void;
  nextAsTwin(done: HttpResponseCallback<Twin[]>): void;
  nextAsTwin(continuationToken?: string): Promise<ResultWithIncomingMessage<Twin[]>>;
}

/** The identity registry and twins, as azure-iothub's `Registry`. */
export declare class Registry {
  static fromConnectionString(connStr: string, options?: RegistryOptions): Registry;
  static fromTokenCredential(hostName: string, tokenCredential: TokenCredential, options?: RegistryOptions): Registry;
  static fromSharedAccessSignature(sharedAccessSignature: string, options?: RegistryOptions): Registry;
  create(deviceInfo: DeviceDescription, done: HttpResponseCallback<Device>): void;
  create(deviceInfo: DeviceDescription): Promise<ResultWithHttpResponse<Device>>;
  get(deviceId: string, done: HttpResponseCallback<Device>): void;
  get(deviceId: string): Promise<ResultWithHttpResponse<Device>>;
  delete(deviceId: string, done: HttpResponseCallback<void>): void;
  delete(deviceId: string): Promise<ResultWithHttpResponse<void>>;
  addModule(module: ModuleDescription, done: HttpResponseCallback<any>): void;
  addModule(module: ModuleDescription): Promise<ResultWithHttpResponse<any>>;
  getTwin(deviceId: string, done: HttpResponseCallback<Twin>): void;
  getTwin(deviceId: string): Promise<ResultWithHttpResponse<Twin>>;
  getModuleTwin(deviceId: string, moduleId: string, done: HttpResponseCallback<Twin>): void;
  getModuleTwin(deviceId: string, moduleId: string): Promise<ResultWithHttpResponse<Twin>>;
  updateTwin(deviceId: string, patch: object, etag: string, done: HttpResponseCallback<Twin>): void;
  updateTwin(deviceId: string, patch: object, etag: string): Promise<ResultWithHttpResponse<Twin>>;
  updateModuleTwin(deviceId: string, moduleId: string, patch: object, etag: string, done: HttpResponseCallback<Twin>): void;
  updateModuleTwin(deviceId: string, moduleId: string, patch: object, etag: string): Promise<ResultWithHttpResponse<Twin>>;
  replaceTwin(deviceId: string, twin: object, etag: string | undefined, done: HttpResponseCallback<Twin>): void;
  replaceTwin(deviceId: string, twin: object, done: HttpResponseCallback<Twin>): void;
  replaceTwin(deviceId: string, twin: object, etag?: string): Promise<ResultWithHttpResponse<Twin>>;
  replaceModuleTwin(deviceId: string, moduleId: string, twin: object, etag: string | undefined, done: HttpResponseCallback<Twin>): void;
  replaceModuleTwin(deviceId: string, moduleId: string, twin: object, done: HttpResponseCallback<Twin>): void;
  replaceModuleTwin(deviceId: string, moduleId: string, twin: object, etag?: string): Promise<ResultWithHttpResponse<Twin>>;
  update(deviceInfo: DeviceDescription, done: HttpResponseCallback<Device>): void;
  update(deviceInfo: DeviceDescription): Promise<ResultWithHttpResponse<Device>>;
  list(done: HttpResponseCallback<Device[]>): void;
  list(): Promise<ResultWithHttpResponse<Device[]>>;
  getModule(deviceId: string, moduleId: string, done: HttpResponseCallback<any>): void;
  getModule(deviceId: string, moduleId: string): Promise<ResultWithHttpResponse<any>>;
  getModulesOnDevice(deviceId: string, done: HttpResponseCallback<any[]>): void;
  getModulesOnDevice(deviceId: string): Promise<ResultWithHttpResponse<any[]>>;
  updateModule(module: ModuleDescription, done: HttpResponseCallback<any>): void;
  updateModule(module: ModuleDescription): Promise<ResultWithHttpResponse<any>>;
  removeModule(deviceId: string, moduleId: string, done: HttpResponseCallback<void>): void;
  removeModule(deviceId: string, moduleId: string): Promise<ResultWithHttpResponse<void>>;
  createQuery(sqlQuery: string, pageSize?: number): Query;
  addConfiguration(configuration: Configuration, done: HttpResponseCallback<Configuration>): void;
  addConfiguration(configuration: Configuration): Promise<ResultWithHttpResponse<Configuration>>;
  getConfiguration(configurationId: string, done: HttpResponseCallback<Configuration>): void;
  getConfiguration(configurationId: string): Promise<ResultWithHttpResponse<Configuration>>;
  getConfigurations(done: HttpResponseCallback<Configuration[]>): void;
  getConfigurations(): Promise<ResultWithHttpResponse<Configuration[]>>;
  updateConfiguration(configuration: Configuration, done: HttpResponseCallback<Configuration>): void;
  updateConfiguration(configuration: Configuration, forceUpdate: boolean, done: HttpResponseCallback<Configuration>): void;
  updateConfiguration(configuration: Configuration, forceUpdate?: boolean): Promise<ResultWithHttpResponse<Configuration>>;
  removeConfiguration(configurationId: string, done: HttpResponseCallback<void>): void;
  removeConfiguration(configurationId: string): Promise<ResultWithHttpResponse<void>>;
  getRegistryStatistics(done: HttpResponseCallback<RegistryStatistics>): void;
  getRegistryStatistics(): Promise<ResultWithHttpResponse<RegistryStatistics>>;
  /** Up to 100 devices in one call; a failed item rejects with an ArgumentError whose `responseBody` is the result. */
  addDevices(devices: DeviceDescription[], done: HttpResponseCallback<BulkRegistryOperationResult>): void;
  addDevices(devices: DeviceDescription[]): Promise<ResultWithHttpResponse<BulkRegistryOperationResult>>;
  updateDevices(devices: DeviceDescription[], forceUpdate: boolean, done: HttpResponseCallback<BulkRegistryOperationResult>): void;
  updateDevices(devices: DeviceDescription[], forceUpdate: boolean): Promise<ResultWithHttpResponse<BulkRegistryOperationResult>>;
  removeDevices(devices: DeviceDescription[], forceRemove: boolean, done: HttpResponseCallback<BulkRegistryOperationResult>): void;
  removeDevices(devices: DeviceDescription[], forceRemove: boolean): Promise<ResultWithHttpResponse<BulkRegistryOperationResult>>;
}

/** The answer of a bulk registry call. */
export interface BulkRegistryOperationResult {
  isSuccessful: boolean;
  errors: Array<{ deviceId: string; moduleId?: string; errorCode: string; errorStatus: string }>;
  warnings: any[];
}

/** A scheduled job as the hub reports it (`JobResponse`). */
export interface JobStatus {
  jobId: string;
  type?: string;
  status?: 'queued' | 'scheduled' | 'running' | 'completed' | 'failed' | 'cancelled' | string;
  queryCondition?: string;
  createdTime?: string;
  startTime?: string;
  endTime?: string;
  maxExecutionTimeInSeconds?: number;
  updateTwin?: any;
  failureReason?: string;
  statusMessage?: string;
  deviceJobStatistics?: {
    deviceCount: number; failedCount: number; succeededCount: number; runningCount: number; pendingCount: number;
  };
  [key: string]: any;
}

export interface JobStatusResponse {
  jobStatus: JobStatus;
  response: HttpResponse;
}

export type JobCallback = (err?: Error | null, jobStatus?: JobStatus, response?: HttpResponse) => void;

/** A query over jobs, as azure-iothub's `Query` from `JobClient.createQuery`. */
export declare class JobQuery {
  hasMoreResults: boolean;
  continuationToken?: string;
  next(continuationToken: string, done: HttpResponseCallback<JobStatus[]>): void;
  next(done: HttpResponseCallback<JobStatus[]>): void;
  next(continuationToken?: string): Promise<ResultWithIncomingMessage<JobStatus[]>>;
}

/** Scheduled jobs, as azure-iothub's `JobClient`. */
export declare class JobClient {
  static fromConnectionString(connStr: string, options?: RegistryOptions): JobClient;
  static fromTokenCredential(hostName: string, tokenCredential: TokenCredential, options?: RegistryOptions): JobClient;
  getJob(jobId: string, done: JobCallback): void;
  getJob(jobId: string): Promise<JobStatusResponse>;
  cancelJob(jobId: string, done: JobCallback): void;
  cancelJob(jobId: string): Promise<JobStatusResponse>;
  scheduleTwinUpdate(jobId: string, queryCondition: string, patch: object, done: JobCallback): void;
  scheduleTwinUpdate(jobId: string, queryCondition: string, patch: object, jobStartTime: Date, done: JobCallback): void;
  scheduleTwinUpdate(jobId: string, queryCondition: string, patch: object, jobStartTime: Date, maxExecutionTimeInSeconds: number, done: JobCallback): void;
  scheduleTwinUpdate(jobId: string, queryCondition: string, patch: object, jobStartTime?: Date, maxExecutionTimeInSeconds?: number): Promise<JobStatusResponse>;
  scheduleDeviceMethod(jobId: string, queryCondition: string, methodParams: object, jobStartTime?: Date, maxExecutionTimeInSeconds?: number): Promise<JobStatusResponse>;
  createQuery(jobType?: string, jobStatus?: string, pageSize?: number): JobQuery;
}

/** Stable `err.code` values. */
export type ErrorCode =
  | 'ERR_INVALID_CONNECTION_STRING' | 'ERR_INVALID_ARGUMENT' | 'ERR_INVALID_TWIN' | 'ERR_CREDENTIAL'
  | 'ERR_CONNECTION' | 'ERR_TIMEOUT' | 'ERR_BAD_REQUEST' | 'ERR_QUOTA_EXCEEDED' | 'ERR_NOT_FOUND'
  | 'ERR_ALREADY_EXISTS' | 'ERR_PRECONDITION_FAILED' | 'ERR_TOO_LARGE' | 'ERR_THROTTLED' | 'ERR_SERVICE'
  | 'ERR_PROTOCOL' | 'ERR_QUEUE_FULL' | 'ERR_CLIENT_CLOSED' | 'ERR_OUT_OF_SCOPE';

/** An error of this package: the official class name as `name`, plus a stable `code`. */
export declare class IoTHubTwinError extends Error {
  constructor(message?: string);
  code?: ErrorCode;
  /** The HTTP (or MQTT twin) status, for errors the hub answered with. */
  statusCode?: number;
  /** IoT Hub's error code name, e.g. 'DeviceNotFound'. */
  errorCode?: string;
  /** IoT Hub's six-digit error code, e.g. 404001. */
  errorCodeNumber?: number;
  /** The hub's tracking id, for support requests. */
  trackingId?: string;
  /** Whether trying again later may succeed (set on errors from the native module). */
  retryable?: boolean;
}

/** The official SDK's error classes (azure-iot-common `errors`). */
export declare const errors: {
  ArgumentError: typeof IoTHubTwinError;
  BadDeviceResponseError: typeof IoTHubTwinError;
  DeviceAlreadyExistsError: typeof IoTHubTwinError;
  DeviceMaximumQueueDepthExceededError: typeof IoTHubTwinError;
  DeviceNotFoundError: typeof IoTHubTwinError;
  DeviceTimeoutError: typeof IoTHubTwinError;
  FormatError: typeof IoTHubTwinError;
  GatewayTimeoutError: typeof IoTHubTwinError;
  InternalServerError: typeof IoTHubTwinError;
  InvalidEtagError: typeof IoTHubTwinError;
  InvalidOperationError: typeof IoTHubTwinError;
  IotHubNotFoundError: typeof IoTHubTwinError;
  IotHubQuotaExceededError: typeof IoTHubTwinError;
  MessageTooLargeError: typeof IoTHubTwinError;
  NotConnectedError: typeof IoTHubTwinError;
  NotImplementedError: typeof IoTHubTwinError;
  PreconditionFailedError: typeof IoTHubTwinError;
  ServiceUnavailableError: typeof IoTHubTwinError;
  ThrottlingError: typeof IoTHubTwinError;
  TimeoutError: typeof IoTHubTwinError;
  TooManyDevicesError: typeof IoTHubTwinError;
  UnauthorizedError: typeof IoTHubTwinError;
};
