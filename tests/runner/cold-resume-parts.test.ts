import { create } from "@bufbuild/protobuf";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  AgentQuestionSchema,
  EventSchema,
  ItemClaimedSchema,
  JobFollowUpSchema,
  JobPausedSchema,
  JobResumedSchema,
  QuestionAnsweredSchema,
  type Event,
} from "../../gen/pushpals/v1/events_pb.js";
import { jobConversation } from "../../services/runner/job-conversation.js";
import { checkpointRef, dropCheckpoint, findCheckpoint, restoreCheckpoint, saveCheckpoint } from "../../services/runner/workspace/checkpoint.js";
import { createWorktree } from "../../services/runner/workspace/create-worktree.js";
import type { Clients } from "../../shared/clients.js";
import { silentLogger } from "../../shared/log.js";
import { git, initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

const JOB = "job_01M8ZB25S8PD3APMY265AZ3RSE";
let seq = 0n;
const event = (payload: Event["payload"]) => create(EventSchema, { seq: ++seq, itemId: JOB, payload });
const claimed = (workerId: string) => event({ case: "jobClaimed", value: create(ItemClaimedSchema, { workerId }) });
const question = (text: string) => event({ case: "agentQuestion", value: create(AgentQuestionSchema, { text, step: 2 }) });
const answer = (text: string, author: string) => event({ case: "questionAnswered", value: create(QuestionAnsweredSchema, { text, author }) });
const followUp = (text: string, author: string) => event({ case: "jobFollowUp", value: create(JobFollowUpSchema, { text, author }) });

/** The conversation reads its history and the live events only; nothing here is recorded. */
const conversationOf = () =>
  jobConversation({
    sessions: { appendEvents: () => Promise.reject(new Error("nothing is recorded here")) } as unknown as Clients["sessions"],
    sessionId: "ses_x",
    jobId: JOB,
    logger: silentLogger,
  });

describe("cold resume, its parts: the conversation an earlier attempt left", () => {
  it("a retried job's agent gets the earlier attempt's question, answer and follow-ups once, before its first step", async () => {
    const conversation = conversationOf();
    conversation.preload([claimed("w1"), question("numbers only?"), followUp("keep it small", "bob"), answer("yes", "alice"), claimed("w2")]);
    const signal = AbortSignal.timeout(5000);
    expect(await conversation.agent.earlier!(signal)).toEqual([
      { kind: "question", text: "numbers only?", author: "" },
      { kind: "follow_up", text: "keep it small", author: "bob" },
      { kind: "answer", text: "yes", author: "alice" },
    ]);
    expect(await conversation.agent.earlier!(signal)).toEqual([]);
    expect(conversation.agent.take()).toEqual([]);
    expect(conversation.agent.isPaused()).toBe(false);
  });

  it("a question left open stays open: the retried attempt waits for its answer (saying so) and then starts with it", async () => {
    const conversation = conversationOf();
    conversation.preload([claimed("w1"), question("numbers only?"), event({ case: "jobPaused", value: create(JobPausedSchema, { author: "carol" }) }), claimed("w2")]);
    // A pause left on stays on: the new attempt waits for the person too.
    expect(conversation.agent.isPaused()).toBe(true);
    const earlier = conversation.agent.earlier!(AbortSignal.timeout(5000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(conversation.waitingFor()).toBe("answer");
    conversation.receive(answer("numbers only", "alice"));
    expect(await earlier).toEqual([
      { kind: "question", text: "numbers only?", author: "" },
      { kind: "answer", text: "numbers only", author: "alice" },
    ]);
    expect(conversation.waitingFor()).toBeUndefined();
  });

  it("on a first attempt, words recorded before the watch began are delivered as they would be live", async () => {
    const conversation = conversationOf();
    conversation.preload([claimed("w1"), followUp("use the helper", "bob")]);
    expect(await conversation.agent.earlier!(AbortSignal.timeout(5000))).toEqual([]);
    expect(conversation.agent.take()).toEqual([{ kind: "follow_up", text: "use the helper", author: "bob" }]);
  });
});

describe("cold resume, its parts: a pause with a checkpoint", () => {
  it("a resume that comes while the work is being checkpointed still ends the pause", async () => {
    const conversation = conversationOf();
    conversation.preload([claimed("w1")]);
    conversation.receive(event({ case: "jobPaused", value: create(JobPausedSchema, { author: "carol" }) }));
    let saved!: () => void;
    const saving = new Promise<void>((resolve) => (saved = resolve));
    const clock = { hold: () => {}, release: () => {} };
    conversation.attach({} as Parameters<typeof conversation.attach>[0], clock, () => saving);
    const waiting = conversation.agent.waitWhilePaused(AbortSignal.timeout(5000));
    expect(conversation.waitingFor()).toBe("paused");
    conversation.receive(event({ case: "jobResumed", value: create(JobResumedSchema, { author: "carol", finish: false }) }));
    saved();
    expect(await waiting).toEqual({ finish: false, author: "carol" });
  });
});

describe("cold resume, its parts: the checkpoint of a job's worktree", () => {
  let dir: TempDir | undefined;
  afterEach(async () => {
    await dir?.remove();
    dir = undefined;
  });

  it("saves new, changed and deleted files without touching the worktree's index; a fresh worktree at its base gets them back as uncommitted work", async () => {
    dir = await tempDir("pushpals-checkpoint-");
    const repo = join(dir.path, "repo");
    await mkdir(repo);
    const base = await initRepo(repo, { "src/math.js": "return a - b;\n", "old.txt": "old\n", ".gitignore": "*.log\n" });
    const first = await createWorktree({ repo, dataDir: join(dir.path, "data"), workerId: "w1", jobId: JOB, baseRef: "main" });
    await writeFile(join(first.path, "src/math.js"), "return a + b;\n");
    await writeFile(join(first.path, "new.txt"), "new\n");
    await writeFile(join(first.path, "noise.log"), "ignored\n");
    await rm(join(first.path, "old.txt"));

    const sha = await saveCheckpoint(first, JOB, "waiting for an answer");
    expect(await git(repo, "rev-parse", checkpointRef(JOB))).toBe(sha);
    expect(await git(first.path, "status", "--porcelain")).toContain("?? new.txt"); // its own index is as it was
    expect(await git(repo, "diff-tree", "-r", "--name-status", base, sha)).toBe("M\tsrc/math.js\nA\tnew.txt\nD\told.txt".split("\n").sort().join("\n"));

    // Another main commit since: the retry starts at the checkpoint's base, not at the tip.
    await writeFile(join(repo, "later.txt"), "later\n");
    await git(repo, "add", "later.txt");
    await git(repo, "commit", "-q", "-m", "later");
    const found = await findCheckpoint(repo, JOB);
    expect(found).toEqual({ sha, baseSha: base });

    const second = await createWorktree({ repo, dataDir: join(dir.path, "data"), workerId: "w2", jobId: JOB, baseRef: found!.baseSha });
    await restoreCheckpoint(second, found!);
    expect(await readFile(join(second.path, "src/math.js"), "utf8")).toBe("return a + b;\n");
    expect(await readFile(join(second.path, "new.txt"), "utf8")).toBe("new\n");
    // Unstaged work again (the index stays at the base): deleted, modified, untracked.
    expect(
      (await git(second.path, "status", "--porcelain"))
        .split("\n")
        .map((line) => line.trim())
        .sort(),
    ).toEqual(["?? new.txt", "D old.txt", "M src/math.js"]);
    expect(await git(second.path, "diff", "--cached", "--name-only")).toBe("");
    expect(await git(second.path, "rev-parse", "HEAD")).toBe(base);

    await dropCheckpoint(repo, JOB);
    expect(await findCheckpoint(repo, JOB)).toBeUndefined();
  });
});
