/**
 * A service runs until it stops by itself or its signal aborts, and only resolves
 * once it has stopped and cleaned up (suture's Serve(ctx) error). Throwing (or
 * rejecting) is a failure its supervisor answers by restarting it.
 */
export interface Service {
  readonly name: string;
  serve(signal: AbortSignal): Promise<void>;
}
