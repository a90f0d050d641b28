import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openIntegrator, type Integrator } from "../../services/integration/index.js";
import { repositoryFromRemoteUrl } from "../../services/integration/pull-requests/repository.js";
import { githubToken } from "../../services/integration/pull-requests/token.js";
import { expectKind } from "./support/outcome.js";
import { startFakeGitHub, type FakeGitHub, type RecordedRequest } from "./support/fake-github.js";
import { createScene, type Scene } from "./support/scene.js";

const TOKEN = "ghp_test_token_0123456789";
const LIST = "/repos/acme/widgets/pulls?head=acme%3Amain_agents&base=main&state=open&per_page=10";

describe("pull requests on GitHub", () => {
  let scene: Scene;
  let github: FakeGitHub;
  let integrator: Integrator | undefined;

  beforeEach(async () => {
    scene = await createScene();
    github = await startFakeGitHub("acme/widgets");
  });
  afterEach(async () => {
    await integrator?.close();
    integrator = undefined;
    await github.close();
    await scene.remove();
  });

  const open = async () =>
    (integrator = await openIntegrator({
      settings: scene.settings({
        checks: [{ name: "unit", command: "true", timeoutMs: 10_000 }],
        pullRequests: { provider: "github", repository: "acme/widgets", apiUrl: github.url, token: TOKEN },
      }),
    }));

  it("opens the PR on the first merge and updates its body on the next, with the exact requests GitHub expects", async () => {
    const int = await open();
    const first = await scene.job({ "a.txt": "a\n" }, { message: "Add a.txt for @octocat" });
    const progress: string[] = [];
    const merged = expectKind(
      await int.integrate(first, { onProgress: (p) => void (p.case === "pullRequestUpdated" && progress.push(`${p.value.number}:${p.value.created}`)) }),
      "merged",
    );
    expect(merged.result.prUrl).toBe("https://github.example/acme/widgets/pull/7");
    expect(progress).toEqual(["7:true"]);
    expect(github.requests.map(line)).toEqual([`GET ${LIST}`, "POST /repos/acme/widgets/pulls"]);
    for (const request of github.requests) expectGitHubHeaders(request);
    expect(github.requests[1]?.headers["content-type"]).toBe("application/json");
    const created = github.requests[1]?.body as { body: string; title: string; head: string; base: string };
    expect(Object.keys(created).sort()).toEqual(["base", "body", "head", "title"]);
    expect(created).toMatchObject({ title: "PushPals: merge main_agents into main", head: "main_agents", base: "main" });
    expect(created.body).toContain(`\`${first.jobId}\` — Add a.txt for @\u2060octocat`); // no ping from a PR body
    expect(created.body).toContain("intent code change · risk low");
    expect(created.body).toContain("- a.txt is updated");
    expect(created.body).toMatch(/Checks: ✅ unit \(\d+\.\d s\)/);
    expect(created.body).toContain("**1 job merged.**");

    github.requests.length = 0;
    const second = await scene.job({ "b.txt": "b\n" }, { message: "Add b.txt" });
    expectKind(await int.integrate(second), "merged");
    expect(github.requests.map(line)).toEqual([`GET ${LIST}`, "PATCH /repos/acme/widgets/pulls/7"]);
    for (const request of github.requests) expectGitHubHeaders(request);
    const patched = github.requests[1]?.body as { body: string; title: string };
    expect(Object.keys(patched).sort()).toEqual(["body", "title"]);
    expect(patched.body).toContain("**2 jobs merged.**");
    expect(patched.body.indexOf(first.jobId)).toBeLessThan(patched.body.indexOf(second.jobId));
    expect(github.pulls).toHaveLength(1);
  });

  it("a 422 on create (another integrator won the race) lists again and reuses that PR", async () => {
    const int = await open();
    github.onCreate = (draft) => {
      github.pulls.push({ number: 9, html_url: "https://github.example/acme/widgets/pull/9", title: "theirs", body: "", head: draft.head, base: draft.base });
      return { status: 422, json: { message: "Validation Failed", errors: [{ message: "A pull request already exists for acme:main_agents." }] } };
    };
    const merged = expectKind(await int.integrate(await scene.job({ "a.txt": "a\n" })), "merged");
    expect(github.requests.map(line)).toEqual([`GET ${LIST}`, "POST /repos/acme/widgets/pulls", `GET ${LIST}`, "PATCH /repos/acme/widgets/pulls/9"]);
    expect(merged.result.prUrl).toBe("https://github.example/acme/widgets/pull/9");
    expect(github.pulls[0]?.title).toBe("PushPals: merge main_agents into main");
  });

  it("a GitHub outage does not undo the merge: pushed, PR error reported, retried on the next merge", async () => {
    const int = await open();
    github.failEverything = 500;
    const merged = expectKind(await int.integrate(await scene.job({ "a.txt": "a\n" })), "merged");
    expect(merged.result.pushed).toBe(true);
    expect(merged.result.prUrl).toBe("");
    expect(merged.pullRequestError).toMatch(/GitHub refused to list pull requests of acme\/widgets \(HTTP 500: Server Error\)/);
    expect(await scene.remoteRef("refs/heads/main_agents")).toBe(merged.result.mergedSha);

    github.failEverything = undefined;
    const next = expectKind(await int.integrate(await scene.job({ "b.txt": "b\n" })), "merged");
    expect(next.result.prUrl).toMatch(/pull\/7$/);
    expect(github.pulls[0]?.body ?? "").toContain("**2 jobs merged.**");
  });

  it("an already-merged completion re-checks the PR but does not rewrite an unchanged body", async () => {
    const int = await open();
    const job = await scene.job({ "a.txt": "a\n" });
    expectKind(await int.integrate(job), "merged");
    github.requests.length = 0;
    const again = expectKind(await int.integrate(job), "already_merged");
    expect(again.result.prUrl).toMatch(/pull\/7$/);
    expect(github.requests.map(line)).toEqual([`GET ${LIST}`]);
  });
});

describe("pull request helpers", () => {
  it("finds owner/name in the remote URL forms people use", () => {
    expect(repositoryFromRemoteUrl("https://github.com/acme/widgets.git")).toBe("acme/widgets");
    expect(repositoryFromRemoteUrl("https://github.com/acme/widgets")).toBe("acme/widgets");
    expect(repositoryFromRemoteUrl("git@github.com:acme/widgets.git")).toBe("acme/widgets");
    expect(repositoryFromRemoteUrl("ssh://git@github.example:2222/acme/my.widgets.git")).toBe("acme/my.widgets");
    expect(repositoryFromRemoteUrl("/srv/git/widgets.git")).toBeUndefined();
    expect(repositoryFromRemoteUrl("https://github.com/acme")).toBeUndefined();
  });

  it("takes the token from the config, then GITHUB_TOKEN / GH_TOKEN, and says what to do when there is none", async () => {
    expect(await githubToken("from-config", { GITHUB_TOKEN: "env" })()).toBe("from-config");
    expect(await githubToken("", { GITHUB_TOKEN: "env", GH_TOKEN: "gh" })()).toBe("env");
    expect(await githubToken("", { GH_TOKEN: "gh" })()).toBe("gh");
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent"; // no `gh` to ask
    try {
      await expect(githubToken("", {})()).rejects.toThrow(/no GitHub token: set PUSHPALS_GITHUB_TOKEN/);
    } finally {
      process.env.PATH = path;
    }
  });
});

function line(request: RecordedRequest): string {
  return `${request.method} ${request.url}`;
}

function expectGitHubHeaders(request: RecordedRequest): void {
  expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(request.headers.accept).toBe("application/vnd.github+json");
  expect(request.headers["x-github-api-version"]).toBe("2022-11-28");
  expect(request.headers["user-agent"]).toBe("pushpals-integration");
}
