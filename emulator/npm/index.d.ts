/** Absolute path of the iothub-twin-emulator binary in this package. */
export declare const binaryPath: string;
