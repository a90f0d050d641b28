import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus, type Approval } from "../../gen/pushpals/v1/approvals_pb.js";
import { QueueItemSchema } from "../../gen/pushpals/v1/items_pb.js";
import { openIntegrator, type Integrator } from "../../services/integration/index.js";
import { pullRequestApprovalGate } from "../../services/integration/worker/push-approval.js";
import { approvalsSection } from "../../shared/config/sections/approvals.js";
import { createLogger } from "../../shared/log.js";
import { expectKind } from "../integration/support/outcome.js";
import { startFakeGitHub, type FakeGitHub } from "../integration/support/fake-github.js";
import { createScene, type Scene } from "../integration/support/scene.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";

/** Approval requests of the session, once `count` exist. */
async function approvalsOnceThere(cp: TestControlPlane, sessionId: string, count: number): Promise<Approval[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { approvals } = await cp.clients.approvals.listApprovals({ sessionId });
    if (approvals.length >= count) return approvals;
    if (Date.now() > deadline) throw new Error(`fewer than ${count} approval requests in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// GitHub is the one part mocked (a fake that records the exact requests); approvals go through a real control plane.
describe("[approvals] pull_request = ask", () => {
  let scene: Scene;
  let github: FakeGitHub;
  let cp: TestControlPlane;
  let integrator: Integrator | undefined;
  let sessionId: string;

  beforeEach(async () => {
    [scene, github, cp] = await Promise.all([createScene(), startFakeGitHub("acme/widgets"), startTestControlPlane()]);
    sessionId = (await cp.clients.sessions.createSession({ title: "pull request approvals" })).session!.id;
    integrator = await openIntegrator({
      settings: scene.settings({
        checks: [{ name: "unit", command: "true", timeoutMs: 10_000 }],
        pullRequests: { provider: "github", repository: "acme/widgets", apiUrl: github.url, token: "ghp_test_token_0123456789" },
      }),
    });
  });
  afterEach(async () => {
    await integrator?.close();
    await Promise.all([github.close(), cp.stop(), scene.remove()]);
  });

  const gateFor = (itemId: string) =>
    pullRequestApprovalGate({ client: cp.clients.approvals, policy: approvalsSection.parse({ pullRequest: "ask" }) }, create(QueueItemSchema, { id: itemId, sessionId }), {
      signal: AbortSignal.timeout(30_000),
      log: createLogger("test"),
    });

  it("approved → the PR is opened; denied → the merge stands, no request reaches GitHub, the reason is the PR's error", async () => {
    const first = await scene.job({ "a.txt": "a\n" });
    const approving = integrator!.integrate(first, { approvePullRequest: gateFor("cmp_01J00000000000000000000001") });
    const [asked] = await approvalsOnceThere(cp, sessionId, 1);
    expect(asked).toMatchObject({ kind: ApprovalKind.PULL_REQUEST, subject: `Open or update the pull request main_agents → main with ${first.jobId}'s change?` });
    expect(github.requests, "nothing sent to GitHub while waiting").toEqual([]);
    await cp.clients.approvals.approve({ id: asked!.id, answeredBy: "ada" });
    expect(expectKind(await approving, "merged").result.prUrl).toBe("https://github.example/acme/widgets/pull/7");

    github.requests.length = 0;
    const second = await scene.job({ "b.txt": "b\n" });
    const denying = integrator!.integrate(second, { approvePullRequest: gateFor("cmp_01J00000000000000000000002") });
    const pending = (await approvalsOnceThere(cp, sessionId, 2)).find((a) => a.status === ApprovalStatus.PENDING)!;
    await cp.clients.approvals.deny({ id: pending.id, answeredBy: "bob", comment: "no PRs this week" });
    const outcome = await denying;
    const merged = expectKind(outcome, "merged");
    expect(merged.result.prUrl).toBe("");
    expect(outcome).toMatchObject({ pullRequestError: "pull request not approved: denied by bob: no PRs this week" });
    expect(github.requests).toEqual([]);
  });
});
