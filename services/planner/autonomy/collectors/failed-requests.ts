import { create } from "@bufbuild/protobuf";
import { CandidateSchema, type Candidate } from "../../../../gen/pushpals/v1/autonomy_pb.js";
import { ItemStatus, QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import { clipEnd, oneLine } from "../../../../shared/text/clip.js";
import type { Collector } from "./collector.js";

const RECENT_MS = 24 * 3600 * 1000;

/** A person's request that failed or ran out of attempts in the last day may be worth another try (asked first: its risk is high by default). */
export const failedRequests: Collector = {
  kind: "failed_request",
  async collect(context) {
    const { items } = await context.clients.queues.listItems(
      { queue: QueueName.REQUESTS, statuses: [ItemStatus.FAILED, ItemStatus.DEAD_LETTER], pageSize: 20 },
      { signal: context.signal },
    );
    const since = Date.now() - RECENT_MS;
    const found: Candidate[] = [];
    for (const item of items) {
      const request = item.payload?.kind.case === "request" ? item.payload.kind.value : undefined;
      if (!request || request.origin === "autonomy") continue;
      const finished = item.finishedAt ? Number(item.finishedAt.seconds) * 1000 : 0;
      if (finished < since) continue;
      found.push(
        create(CandidateSchema, {
          kind: "failed_request",
          target: item.id,
          key: `failed_request:${item.id}`,
          title: `retry the failed request "${oneLine(request.text, 80)}"`,
          evidence: clipEnd(`${request.text}\n\nfailed with: ${item.lastError}`, 4000),
          evidenceStrength: 0.6,
          estimatedFiles: 3,
        }),
      );
    }
    return found;
  },
};
