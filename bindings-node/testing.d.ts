// Types of require('iothub-twin/testing') (testing.js).

export interface StartHubOptions {
  /** MQTT on 8883 and HTTPS on 443 (the official SDKs' ports), under /tmp/iothub-fixed-ports.lock. */
  fixedPorts?: boolean;
  /** Device ids to create at start. */
  devices?: string[];
  hostname?: string;
  /** The emulator binary; default $IOTHUB_TWIN_EMULATOR, the iothub-twin-emulator package, PATH. */
  binary?: string;
  /** Where the emulator's log (stderr) goes; default a temporary file. */
  logPath?: string;
  readyTimeoutMs?: number;
}

export interface FaultSettings {
  withholdTwinResponses?: number;
  delayTwinResponsesMs?: number;
  throttleTwinRequests?: number;
  throttleServiceRequests?: number;
  refuseConnects?: number;
  deviceId?: string | null;
}

export interface IdentityOptions {
  primaryKey?: string | null;
  secondaryKey?: string | null;
}

export declare class HubRequestError extends Error {
  readonly statusCode: number;
  readonly body: string;
}

export declare class Hub {
  readonly pid: number;
  readonly logPath: string;
  readonly hostname: string;
  readonly httpsPort: number;
  readonly mqttPort: number;
  readonly serviceConnectionString: string;
  readonly caCertPath: string;
  readonly caCert: string;
  logTail(lines?: number): string;
  createDevice(deviceId: string, options?: IdentityOptions & { status?: 'enabled' | 'disabled'; edge?: boolean }): Promise<string>;
  createModule(deviceId: string, moduleId: string, options?: IdentityOptions): Promise<string>;
  deleteDevice(deviceId: string): Promise<void>;
  deviceConnectionString(deviceId: string, key: string, moduleId?: string): string;
  dropConnection(deviceId: string, moduleId?: string): Promise<void>;
  connections(): Promise<Array<Record<string, unknown>>>;
  setFaults(faults: FaultSettings): Promise<void>;
  clearFaults(): Promise<void>;
  faults(): Promise<Required<FaultSettings>>;
  request(method: string, path: string, body?: unknown, options?: { query?: Record<string, string>; headers?: Record<string, string> }): Promise<any>;
  stop(): Promise<void>;
}

export declare function startHub(options?: StartHubOptions): Promise<Hub>;
export declare function findEmulator(binary?: string): string;
export declare const FAULTS: readonly string[];
export declare const FIXED_PORTS_LOCK: string;
