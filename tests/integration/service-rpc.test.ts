import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { IntegrationService, MergeOutcome } from "../../gen/pushpals/v1/integration_pb.js";
import type { QueueItem } from "../../gen/pushpals/v1/items_pb.js";
import { integrationService } from "../../services/integration/integration-service.js";
import { createClients, type Clients } from "../../shared/clients.js";
import { createLogger } from "../../shared/log.js";
import { startRpcServer, type RpcServer } from "../../shared/rpc/server.js";
import { durationMs } from "../../shared/time.js";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";
import { createServiceScene, type ServiceScene } from "./support/service-scene.js";
import { MergeStrategy } from "../../gen/pushpals/v1/kinds_pb.js";

const NOT_BROKEN = { name: "not-broken", command: "test ! -e broken.txt || { echo 'broken.txt must not exist' >&2; exit 3; }", timeoutSeconds: 60 };

/**
 * The IntegrationService served the way `pushpals serve integration` serves it (its own
 * port, talking to the control plane through clients), after a history of every outcome.
 */
describe("IntegrationService over RPC", () => {
  let s: ServiceScene;
  let github: FakeGitHub;
  let server: RpcServer;
  let integration: Clients["integration"];
  const items = {} as Record<"merged1" | "merged2" | "failed" | "conflicted" | "pending", QueueItem>;

  beforeAll(async () => {
    s = await createServiceScene();
    github = await startFakeGitHub("acme/widgets");
    const overrides = {
      "integration.checks": [NOT_BROKEN],
      "integration.pullRequests.provider": "github",
      "integration.pullRequests.repository": "acme/widgets",
      "integration.pullRequests.apiUrl": github.url,
      "integration.pullRequests.token": "ghp_test",
    };
    const config = s.config(overrides);
    server = await startRpcServer({
      host: "127.0.0.1",
      port: 0,
      maxRequestBytes: 1 << 20,
      shutdownGraceMs: 1000,
      logger: createLogger("test-integration-rpc"),
      register: (router) => integrationService.routes!(router, () => s.context(config)),
    });
    integration = createClients(server.url).integration;

    const worker = s.startWorker({ overrides });
    items.merged1 = await s.enqueue(await s.git.job({ "shared.txt": "one\nTWO by first\nthree\n" }));
    await s.waitFor(items.merged1.id, [ItemStatus.COMPLETED]);
    items.merged2 = await s.enqueue(await s.git.job({ "b.txt": "b\n" }));
    await s.waitFor(items.merged2.id, [ItemStatus.COMPLETED]);
    items.failed = await s.enqueue(await s.git.job({ "broken.txt": "x\n" }));
    await s.waitFor(items.failed.id, [ItemStatus.FAILED]);
    items.conflicted = await s.enqueue(await s.git.job({ "shared.txt": "one\nTWO by second\nthree\n" }));
    await s.waitFor(items.conflicted.id, [ItemStatus.CONFLICTED]);
    await worker.stop();
    items.pending = await s.enqueue(await s.git.job({ "later.txt": "l\n" }));
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await github?.close();
    await s?.close();
  });

  it("GetIntegrationStatus: branches, head, pending completions, the last merge and its pull request", async () => {
    const status = await integration.getIntegrationStatus({});
    const head = await s.git.remoteRef("refs/heads/main_agents");
    const merged2 = (await s.cp.clients.queues.getItem({ itemId: items.merged2.id })).item;
    const mergedSha = merged2?.result?.kind.case === "completion" ? merged2.result.kind.value.mergedSha : "";
    expect(status).toMatchObject({ integrationBranch: "main_agents", baseBranch: "main", headSha: head, pendingCompletions: 1 });
    expect(mergedSha).toBe(head);
    expect(github.pulls).toHaveLength(1);
    expect(status.prUrl).toBe(github.pulls[0]?.html_url);
    expect(status.lastMerge).toMatchObject({
      completionId: items.merged2.id,
      outcome: MergeOutcome.MERGED,
      sha: head,
      strategy: MergeStrategy.CHERRY_PICK,
      prUrl: status.prUrl,
      sessionId: s.sessionId,
    });
    expect(status.lastMerge?.jobId).toBe(items.merged2.payload?.kind.case === "completion" ? items.merged2.payload.kind.value.jobId : "?");
    expect(status.lastMerge?.checks.map((c) => [c.name, c.passed])).toEqual([["not-broken", true]]);
    expect(status.lastMerge?.finishedAt).toBeDefined();
    const prEvents = (await s.events(items.merged1.id)).flatMap((e) => (e.payload.case === "pullRequestUpdated" ? [e.payload.value] : []));
    expect(prEvents).toEqual([expect.objectContaining({ url: status.prUrl, created: true })]);
  });

  it("ListMerges: every outcome, newest first, paged, with checks, durations and output tails", async () => {
    const first = await integration.listMerges({ pageSize: 3 });
    expect(first.merges.map((m) => [m.completionId, MergeOutcome[m.outcome]])).toEqual([
      [items.conflicted.id, "CONFLICTED"],
      [items.failed.id, "CHECKS_FAILED"],
      [items.merged2.id, "MERGED"],
    ]);
    expect(first.nextPageToken).not.toBe("");
    const second = await integration.listMerges({ pageSize: 3, pageToken: first.nextPageToken });
    expect(second.merges.map((m) => m.completionId)).toEqual([items.merged1.id]);
    expect(second.nextPageToken).toBe("");

    const [conflicted, failed, merged] = first.merges;
    expect(conflicted?.error).toContain("shared.txt");
    expect(conflicted?.error).toMatch(/repair job job_/);
    expect(failed?.checks).toHaveLength(1);
    expect(failed?.checks[0]).toMatchObject({ name: "not-broken", passed: false, exitCode: 3 });
    expect(failed?.checks[0]?.outputTail).toContain("broken.txt must not exist");
    expect(durationMs(failed?.checks[0]?.duration)).toBeGreaterThanOrEqual(0);
    expect(failed?.checks[0]?.duration).toBeDefined();
    expect(failed?.error).toContain("broken.txt must not exist");
    expect(merged?.prUrl).toBe(github.pulls[0]?.html_url);
    expect(merged?.checks[0]?.duration).toBeDefined();
    expect(second.merges[0]).toMatchObject({ outcome: MergeOutcome.MERGED, strategy: MergeStrategy.CHERRY_PICK });
    expect(second.merges[0]?.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("answers over gRPC too", async () => {
    const grpc = createClient(IntegrationService, createGrpcTransport({ baseUrl: server.url }));
    const page = await grpc.listMerges({ pageSize: 1 });
    expect(page.merges.map((m) => m.completionId)).toEqual([items.conflicted.id]);
  });

  it("bad input is InvalidArgument naming the field", async () => {
    const tooBig = await integration.listMerges({ pageSize: 501 }).catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(ConnectError);
    expect((tooBig as ConnectError).code).toBe(Code.InvalidArgument);
    expect((tooBig as ConnectError).rawMessage).toMatch(/^page_size: must be between 1 and 500/);
    const forged = await integration.listMerges({ pageToken: "bm90LWFuLWlk" }).catch((e: unknown) => e);
    expect((forged as ConnectError).code).toBe(Code.InvalidArgument);
    expect((forged as ConnectError).rawMessage).toMatch(/page_token/);
    const huge = await integration.listMerges({ pageToken: "x".repeat(300) }).catch((e: unknown) => e);
    expect((huge as ConnectError).code).toBe(Code.InvalidArgument);
    expect((huge as ConnectError).rawMessage).toMatch(/^page_token: /);
  });
});
