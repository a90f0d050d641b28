import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Execution, ExecResult, OutputChunk } from "../../sandbox/driver.js";
import { git, initRepo } from "../support/git.js";
import { tempDir, type TempDir } from "../support/tmp.js";

export interface Workspace {
  dir: TempDir;
  repo: string;
  /** A linked worktree of `repo`, as the runner makes for a job. */
  worktree: string;
  /** A host directory outside the worktree, which isolated sandboxes must not reach. */
  outside: string;
  /** The repository's .git (objects, refs, hooks). */
  commonGitDir: string;
}

export async function makeWorkspace(): Promise<Workspace> {
  const dir = await tempDir("pushpals-sandbox-");
  const repo = join(dir.path, "repo");
  const worktree = join(dir.path, "worktree");
  const outside = join(dir.path, "outside");
  await mkdir(repo);
  await mkdir(outside);
  await initRepo(repo, { "README.md": "# sandbox test\n", "sub/dir/file.txt": "nested\n" });
  await git(repo, "worktree", "add", "-q", "-b", "agent/test/job", worktree);
  return { dir, repo, worktree, outside, commonGitDir: join(repo, ".git") };
}

export interface TimedChunk extends OutputChunk {
  at: number;
}

export interface Collected {
  stdout: string;
  stderr: string;
  chunks: TimedChunk[];
  result: ExecResult;
  /** performance.now() when the result settled. */
  settledAt: number;
}

/** Reads an execution to its end, keeping when each chunk arrived. */
export async function collect(execution: Execution): Promise<Collected> {
  let settledAt = 0;
  const result = execution.result.then((value) => ((settledAt = performance.now()), value));
  const chunks: TimedChunk[] = [];
  for await (const chunk of execution.output) chunks.push({ ...chunk, at: performance.now() });
  const settled = await result;
  const text = (stream: OutputChunk["stream"]) =>
    chunks
      .filter((chunk) => chunk.stream === stream)
      .map((chunk) => chunk.data)
      .join("");
  return { stdout: text("stdout"), stderr: text("stderr"), chunks, result: settled, settledAt };
}

/** A `sleep` duration no other process on this machine uses, so its processes can be counted. */
export function uniqueSleep(): { seconds: number; marker: string } {
  const seconds = 400_000 + Math.floor(Math.random() * 500_000);
  return { seconds, marker: `sleep\0${seconds}\0` };
}

/**
 * How many processes on this host have `marker` in their command line. Sandboxed processes
 * (bwrap's pid namespace, podman's containers) are host processes too, so this sees them all.
 */
export async function processesWith(marker: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(marker)) count += 1;
  }
  return count;
}

/** Polls until `check` holds; throws with `what` when it does not within `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILLs every host process with `marker` in its command line (a test's safety net); returns how many. */
export async function killProcessesWith(marker: string): Promise<number> {
  let killed = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.includes(marker)) continue;
    try {
      process.kill(Number(entry), "SIGKILL");
      killed += 1;
    } catch {
      // Gone meanwhile.
    }
  }
  return killed;
}
