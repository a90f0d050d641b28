import { Code, ConnectError } from "@connectrpc/connect";
import { createContext, useContext, useEffect, useRef, useState } from "react";
import type { WebClients } from "./rpc/clients.js";

export interface Api {
  clients: WebClients;
  baseUrl: string;
  /** Every failed call passes through here: Unauthenticated opens the token prompt. */
  report: (error: unknown) => string;
  /** Grows when a person gives a token: every polled view asks again at once. */
  authEpoch: number;
}

export const ApiContext = createContext<Api | undefined>(undefined);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside <ApiContext.Provider>");
  return api;
}

export function describeError(error: unknown): string {
  const e = ConnectError.from(error);
  return e.code === Code.Unknown ? e.rawMessage || e.message : `${Code[e.code] ?? "error"}: ${e.rawMessage || e.message}`;
}

export interface Polled<T> {
  data: T | undefined;
  error: string;
  /** Unimplemented: the server has no such RPC (an older or smaller server). */
  unimplemented: boolean;
  refresh: () => void;
}

/** Calls `load` now and every `intervalMs` while the view is shown; a failed call keeps the last answer. */
export function usePolled<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: readonly unknown[]): Polled<T> {
  const { report, authEpoch } = useApi();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState("");
  const [unimplemented, setUnimplemented] = useState(false);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  // biome-ignore lint/correctness/useExhaustiveDependencies: deps are the caller's; tick forces a refresh.
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError("");
      } catch (e) {
        if (controller.signal.aborted) return;
        setUnimplemented(ConnectError.from(e).code === Code.Unimplemented);
        setError(report(e));
      }
      if (!controller.signal.aborted) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs, authEpoch]);
  return { data, error, unimplemented, refresh: () => setTick((t) => t + 1) };
}
