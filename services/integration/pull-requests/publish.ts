import { create } from "@bufbuild/protobuf";
import { PullRequestUpdatedSchema, type PullRequestUpdated } from "../../../gen/pushpals/v1/events_pb.js";
import type { IntegrationContext } from "../context.js";
import { readMergeRecords } from "../merge-records.js";
import { pullRequestBody, pullRequestTitle } from "./body.js";

/**
 * Opens or updates the integration branch's pull request with every merged job not yet
 * in the base. Run after each push (and after an already-merged completion, to finish
 * what a crash may have left undone).
 */
export async function publishPullRequest(ctx: IntegrationContext, signal?: AbortSignal): Promise<PullRequestUpdated | undefined> {
  if (!ctx.pullRequests) return undefined;
  const { settings, refs, worktree } = ctx;
  const records = await readMergeRecords(worktree, refs.notes, refs.base, refs.integration);
  const pull = await ctx.pullRequests.upsert(
    {
      head: settings.branch,
      base: settings.baseBranch,
      title: pullRequestTitle(settings.branch, settings.baseBranch),
      body: pullRequestBody(records, settings.branch, settings.baseBranch),
    },
    signal,
  );
  return create(PullRequestUpdatedSchema, { url: pull.url, number: BigInt(pull.number), created: pull.created });
}
