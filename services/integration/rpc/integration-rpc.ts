import type { ServiceImpl } from "@connectrpc/connect";
import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { IntegrationService } from "../../../gen/pushpals/v1/integration_pb.js";
import { parseRequest } from "../../../shared/rpc/validate.js";
import type { ServiceContext } from "../../../shared/service-definition.js";
import { integrationStatus } from "./integration-status.js";
import { HISTORY_STATUSES, mergeFromItem } from "./merge-history.js";
import * as requests from "./requests.js";

/** Merges looked up at once (failed ones read their events back). */
const LOOKUP_WIDTH = 8;

/**
 * IntegrationService over the control plane's queues and events, never the store: the
 * completions queue is the history (every outcome, newest first, its paging), so
 * status and history look the same whichever process serves them.
 */
export function integrationRpc(context: () => ServiceContext): ServiceImpl<typeof IntegrationService> {
  return {
    async getIntegrationStatus(req, call) {
      // The request has no fields yet: checked so a future field is validated before use.
      parseRequest(requests.getIntegrationStatusRequest, req);
      const { config, clients } = context();
      return integrationStatus(config, clients, call.signal);
    },

    async listMerges(req, call) {
      const { pageSize, pageToken } = parseRequest(requests.listMergesRequest, req);
      const { clients } = context();
      const page = await clients.queues.listItems({ queue: QueueName.COMPLETIONS, statuses: HISTORY_STATUSES, pageSize, pageToken }, { signal: call.signal });
      const merges = await mapLimited(page.items, LOOKUP_WIDTH, (item) => mergeFromItem(item, clients.sessions, call.signal));
      return { merges, nextPageToken: page.nextPageToken };
    },
  };
}

async function mapLimited<T, R>(items: readonly T[], width: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        out[index] = await map(items[index] as T);
      }
    }),
  );
  return out;
}
