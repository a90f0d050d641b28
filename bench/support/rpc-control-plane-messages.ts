/** What the benchmark's control-plane thread is started with. */
export interface ControlPlaneWorkerData {
  /** Config overrides as dotted camelCase paths (storage.dataDir, bus.natsUrl, ...). */
  overrides: Record<string, string | number>;
}

export type ToControlPlaneWorker = { kind: "stop" };

export type FromControlPlaneWorker = { kind: "listening"; url: string } | { kind: "stopped" } | { kind: "failed"; message: string };
