/** Types of model-bridge.mjs, for the tests that run its bridge in-process. */
export interface ModelBridge {
  /** The loopback port it listens on. */
  port: number;
  close(): Promise<void>;
}

export declare function startBridge(socketPath: string): Promise<ModelBridge>;
