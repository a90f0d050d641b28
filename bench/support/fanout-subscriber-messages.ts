/** Where one subscriber thread's subscribers listen: StreamEvents over RPC, or a raw NATS subject (the peer). */
export type FanoutSource =
  | { kind: "rpc" /** One HTTP/2 connection (Connect client) per URL; a URL may repeat. */; urls: string[]; sessionId: string }
  | { kind: "nats"; natsUrl: string; connections: number; subject: string };

/** What a subscriber thread is started with. */
export interface FanoutSubscriberWorkerData {
  source: FanoutSource;
  /** Subscribers on this thread, spread round-robin over its connections. */
  count: number;
  afterSeq: bigint;
  /** This thread's subscribers own slots [offset, offset + count) of `lastSeqs`. */
  offset: number;
  thread: number;
  /** BigInt64Array: every subscriber's last seq received, written by its thread, read by the benchmark's main thread. */
  lastSeqs: SharedArrayBuffer;
  /** Float64Array: measured deliveries per thread. */
  delivered: SharedArrayBuffer;
}

/** One thread's tally once its streams have ended: the latencies as raw samples (merged by the main thread). */
export interface FanoutThreadReport {
  commitToReceive: Float64Array;
  sendToReceive: Float64Array;
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  gaps: number;
  keepalives: number;
}

export type ToSubscriberThread = { kind: "measure-from"; seq: bigint } | { kind: "stop" };

export type FromSubscriberThread = { kind: "live" } | { kind: "measuring" } | { kind: "report"; report: FanoutThreadReport } | { kind: "failed"; message: string };
