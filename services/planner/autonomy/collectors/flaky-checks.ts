import { create } from "@bufbuild/protobuf";
import { CandidateSchema, type Candidate } from "../../../../gen/pushpals/v1/autonomy_pb.js";
import { ItemStatus, QueueName } from "../../../../gen/pushpals/v1/common_pb.js";
import type { CheckResult } from "../../../../gen/pushpals/v1/items_pb.js";
import { clipEnd, clipMiddle } from "../../../../shared/text/clip.js";
import type { CollectContext, Collector } from "./collector.js";

/** The finished completions read per pass: the recent integration history. */
const HISTORY_COMPLETIONS = 100;
/** ListEvents' largest page. */
const EVENTS_PAGE = 1000;

/** One recorded run of a check, with the completion whose integration ran it. */
interface CheckRun {
  completionId: string;
  check: CheckResult;
}

/**
 * A check whose result flipped on the same tree (passed in one integration run, failed in
 * another) is flaky: the change did not decide the outcome. It reads the check results
 * integration recorded (integration_step events of the recent finished completions), groups
 * them by check and tree, and proposes stabilizing each check that both passed and failed.
 */
export const flakyChecks: Collector = {
  kind: "flaky_check",
  async collect(context) {
    const runs = await recentCheckRuns(context);
    const byCheck = new Map<string, Map<string, CheckRun[]>>();
    for (const run of runs) {
      // Results from before trees were recorded cannot be compared.
      if (run.check.tree === "") continue;
      const trees = byCheck.get(run.check.name) ?? new Map<string, CheckRun[]>();
      trees.set(run.check.tree, [...(trees.get(run.check.tree) ?? []), run]);
      byCheck.set(run.check.name, trees);
    }
    const found: Candidate[] = [];
    for (const [name, trees] of [...byCheck.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const flipped = [...trees.entries()].filter(([, onTree]) => onTree.some((r) => r.check.passed) && onTree.some((r) => !r.check.passed));
      if (flipped.length === 0) continue;
      const firstFailure = flipped[0]![1].find((r) => !r.check.passed)!.check;
      const lines = flipped.map(([tree, onTree]) => `tree ${tree.slice(0, 12)}: ${onTree.map(describeRun).join(", ")}`);
      found.push(
        create(CandidateSchema, {
          kind: "flaky_check",
          target: name,
          key: `flaky_check:${name}`,
          title: `stabilize flaky check "${name}": it passed and failed on the same tree (${flipped.length} tree${flipped.length === 1 ? "" : "s"})`,
          evidence: clipEnd(`$ ${firstFailure.command}\n${lines.join("\n")}\n\nfailing output:\n${clipMiddle(firstFailure.outputTail, 2500)}`, 4000),
          // One flip could be a machine hiccup; flips on several trees are a pattern.
          evidenceStrength: Math.min(1, 0.5 + 0.25 * flipped.length),
          estimatedFiles: 2,
        }),
      );
    }
    return found;
  },
};

function describeRun({ completionId, check }: CheckRun): string {
  if (check.passed) return `passed in ${completionId}`;
  return `${check.timedOut ? "timed out" : `failed (exit ${check.exitCode})`} in ${completionId}`;
}

/** Every check result recorded for the recent finished completions, all attempts included (a retry on the same tree is a fair rerun). */
async function recentCheckRuns(context: CollectContext): Promise<CheckRun[]> {
  const { items } = await context.clients.queues.listItems(
    { queue: QueueName.COMPLETIONS, statuses: [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.DEAD_LETTER], pageSize: HISTORY_COMPLETIONS },
    { signal: context.signal },
  );
  const runs: CheckRun[] = [];
  // Oldest first, so the evidence reads in the order things happened.
  for (const item of items.reverse()) {
    let afterSeq = 0n;
    for (;;) {
      const page = await context.clients.sessions.listEvents({ sessionId: item.sessionId, itemId: item.id, afterSeq, limit: EVENTS_PAGE }, { signal: context.signal });
      for (const event of page.events) {
        const payload = event.payload;
        if (payload.case === "integrationStep" && payload.value.stage === "check" && payload.value.check) runs.push({ completionId: item.id, check: payload.value.check });
      }
      if (!page.hasMore) break;
      afterSeq = page.nextAfterSeq;
    }
  }
  return runs;
}
