import { EventEmitter, on } from "node:events";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus, HealthCheckResponseSchema } from "../../gen/grpc/health/v1/health_pb.js";

export { HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

export type ServiceHealth = ServingStatus.SERVING | ServingStatus.NOT_SERVING;

/**
 * Serving status per service name ("" is the server as a whole), as
 * grpc.health.v1 reports it. Shutting down flips every name to NOT_SERVING and
 * keeps it there, so load balancers stop sending work before streams end.
 */
export interface HealthRegistry {
  set(service: string, status: ServiceHealth): void;
  get(service: string): ServiceHealth | undefined;
  all(): ReadonlyMap<string, ServiceHealth>;
  /** The current status (SERVICE_UNKNOWN for a name never set), then each change, until `signal` aborts. */
  watch(service: string, signal: AbortSignal): AsyncGenerator<ServingStatus, void, undefined>;
  shutDown(): void;
}

export function createHealthRegistry(): HealthRegistry {
  const statuses = new Map<string, ServiceHealth>();
  const changes = new EventEmitter().setMaxListeners(0);
  let shuttingDown = false;

  const update = (service: string, status: ServiceHealth): void => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    changes.emit("change", service, status);
  };

  return {
    set(service, status) {
      if (!shuttingDown) update(service, status);
    },
    get: (service) => statuses.get(service),
    all: () => new Map(statuses),
    async *watch(service, signal) {
      if (signal.aborted) return;
      // Subscribe before reading the current status so no change falls in between.
      const events = on(changes, "change", { signal });
      let last: ServingStatus = statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
      yield last;
      try {
        for await (const [name, status] of events as AsyncIterableIterator<[string, ServiceHealth]>) {
          if (name !== service || status === last) continue;
          last = status;
          yield status;
        }
      } catch (error) {
        if (!signal.aborted) throw error;
      }
    },
    shutDown() {
      shuttingDown = true;
      for (const service of statuses.keys()) update(service, ServingStatus.NOT_SERVING);
    },
  };
}

export function registerHealth(router: ConnectRouter, registry: HealthRegistry): void {
  router.service(Health, {
    check(request) {
      const status = registry.get(request.service);
      if (status === undefined) {
        throw new ConnectError(`no health status for service "${request.service}"; call grpc.health.v1.Health/List to see the names`, Code.NotFound);
      }
      return { status };
    },
    list() {
      const statuses = Object.fromEntries([...registry.all()].map(([name, status]) => [name, create(HealthCheckResponseSchema, { status })]));
      return { statuses };
    },
    async *watch(request, context) {
      for await (const status of registry.watch(request.service, context.signal)) yield { status };
    },
  });
}
