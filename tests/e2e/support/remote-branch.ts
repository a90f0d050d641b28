import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { git } from "../../support/git.js";

const run = promisify(execFile);

export interface RemoteCommit {
  sha: string;
  message: string;
}

/** The commits the bare remote's integration branch has beyond its base branch, oldest first. */
export async function commitsOnIntegrationBranch(remote: string, branch = "main_agents", base = "main"): Promise<RemoteCommit[]> {
  const log = await git(remote, "log", "--reverse", "--format=%H%x00%B%x01", `${base}..${branch}`);
  return log
    .split("\x01")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [sha, message] = entry.split("\x00") as [string, string];
      return { sha, message: message.trim() };
    });
}

/** The `PushPals-Job:` trailers of a commit message. */
export function jobTrailers(message: string): string[] {
  return [...message.matchAll(/^PushPals-Job: (\S+)$/gm)].map((match) => match[1]!);
}

/** Clones the remote's integration branch into `<dir>/<name>` and runs the project's test there. */
export async function testOnRemoteBranch(remote: string, dir: string, name: string, branch = "main_agents"): Promise<{ code: number; output: string }> {
  const checkout = join(dir, name);
  await git(dir, "clone", "-q", "--branch", branch, remote, checkout);
  try {
    const { stdout, stderr } = await run(process.execPath, ["test.js"], { cwd: checkout });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}
