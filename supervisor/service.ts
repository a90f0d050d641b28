/**
 * A service runs until it stops by itself or its signal aborts, and only resolves
 * once it has stopped and cleaned up (suture's Serve(ctx) error). Throwing (or
 * rejecting) is a failure its supervisor answers by restarting it.
 */
export interface Service {
  readonly name: string;
  serve(signal: AbortSignal): Promise<void>;
}

/**
 * A service that is not usable the moment serve() is called (a child process that
 * must open its port first). Its supervisor passes `ready` and starts the next
 * sibling only once it was called or the run ended, as OTP's start_link waits for
 * init. Run without a supervisor, `ready` is simply absent.
 */
export interface ReadinessReporting extends Service {
  readonly reportsReadiness: true;
  serve(signal: AbortSignal, ready?: () => void): Promise<void>;
}

export function reportsReadiness(service: Service): service is ReadinessReporting {
  return "reportsReadiness" in service && service.reportsReadiness === true;
}
