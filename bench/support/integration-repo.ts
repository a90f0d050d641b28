import { create } from "@bufbuild/protobuf";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CompletionPayloadSchema, type CompletionPayload } from "../../gen/pushpals/v1/items_pb.js";
import { git } from "../../services/integration/git/run-git.js";
import { newId } from "../../shared/ids.js";

const IDENTITY = {
  GIT_AUTHOR_NAME: "Bench",
  GIT_AUTHOR_EMAIL: "bench@pushpals.invalid",
  GIT_COMMITTER_NAME: "Bench",
  GIT_COMMITTER_EMAIL: "bench@pushpals.invalid",
};

export interface BenchRepository {
  repo: string;
  remote: string;
  files: string[];
}

/**
 * A bare remote and a clone-like repository whose main holds `fileCount` small files
 * (100 per directory), written with one `git fast-import` so setup takes seconds.
 */
export async function createBenchRepository(root: string, fileCount: number): Promise<BenchRepository> {
  const repo = join(root, "repo");
  const remote = join(root, "remote.git");
  await mkdir(repo, { recursive: true });
  await git(root, ["init", "-q", "--bare", "-b", "main", remote]);
  await git(repo, ["init", "-q", "-b", "main"]);
  const files = Array.from({ length: fileCount }, (_, i) => `dir${String(Math.floor(i / 100)).padStart(3, "0")}/file${String(i).padStart(5, "0")}.txt`);
  const parts: string[] = [];
  const message = `initial: ${fileCount} files`;
  parts.push(`commit refs/heads/main\ncommitter Bench <bench@pushpals.invalid> 1700000000 +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`);
  for (const [i, path] of files.entries()) {
    const content = `file ${i}\nline two of ${path}\n`;
    parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
  }
  await git(repo, ["fast-import", "--quiet"], { input: parts.join("") });
  await git(repo, ["reset", "--hard", "-q", "main"]);
  await git(repo, ["remote", "add", "origin", remote]);
  await git(repo, ["push", "-q", "origin", "main"]);
  return { repo, remote, files };
}

/**
 * A finished job as the supervisor leaves it: a branch off main changing one file, its
 * commit carrying the PushPals-Job trailer. Built with plumbing on a private index so
 * preparing many jobs stays out of the measurement.
 */
export async function createBenchJob(bench: BenchRepository, scratch: string, index: number): Promise<CompletionPayload> {
  const jobId = newId("job");
  const base = await git(bench.repo, ["rev-parse", "main"]);
  const path = bench.files[(index * 7919) % bench.files.length] ?? "extra.txt";
  const env = { ...IDENTITY, GIT_INDEX_FILE: join(scratch, `index-${index}`) };
  await git(bench.repo, ["read-tree", base], { env });
  const blob = await git(bench.repo, ["hash-object", "-w", "--stdin"], { input: `changed by job ${index}\n` });
  await git(bench.repo, ["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`], { env });
  const tree = await git(bench.repo, ["write-tree"], { env });
  const summary = `Bench job ${index}: update ${path}`;
  const sha = await git(bench.repo, ["commit-tree", tree, "-p", base, "-F", "-"], { env, input: `${summary}\n\nPushPals-Job: ${jobId}\n` });
  const branch = `agent/bench/${jobId}`;
  await git(bench.repo, ["update-ref", `refs/heads/${branch}`, sha]);
  return create(CompletionPayloadSchema, { jobId, branch, sha, baseSha: base, summary, changedFiles: [path] });
}
