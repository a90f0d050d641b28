import type { ServiceImpl } from "@connectrpc/connect";
import { QueueName } from "../../gen/pushpals/v1/common_pb.js";
import { WorkerStatus } from "../../gen/pushpals/v1/execution_pb.js";
import type { SystemService } from "../../gen/pushpals/v1/system_pb.js";
import { toTimestamp } from "../../shared/time.js";
import type { ControlPlaneDeps } from "./deps.js";
import { BusKind, StoreKind } from "../../gen/pushpals/v1/kinds_pb.js";

const QUEUES = [QueueName.REQUESTS, QueueName.JOBS, QueueName.COMPLETIONS];
const SLO_WINDOW_MS = 3_600_000;
const STORE_KINDS = { sqlite: StoreKind.SQLITE, postgres: StoreKind.POSTGRES } as const;
const BUS_KINDS = { memory: BusKind.MEMORY, nats: BusKind.NATS } as const;

export function systemService({ store, bus, config, startedAt, version }: ControlPlaneDeps): ServiceImpl<typeof SystemService> {
  return {
    async getSystemStatus() {
      const [queues, workers, slos] = await Promise.all([store.depths(), store.listWorkers(), Promise.all(QUEUES.map((queue) => store.slo({ queue, windowMs: SLO_WINDOW_MS })))]);
      return {
        version,
        startedAt: toTimestamp(startedAt),
        store: STORE_KINDS[store.kind],
        bus: BUS_KINDS[bus.kind],
        queues,
        workersOnline: workers.filter((w) => w.status === WorkerStatus.ONLINE).length,
        slos,
        repo: config.repo.path,
      };
    },
  };
}
