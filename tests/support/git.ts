import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs git in `cwd` with a fixed identity, so tests never depend on the machine's git config. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "PushPals Test",
      GIT_AUTHOR_EMAIL: "test@pushpals.invalid",
      GIT_COMMITTER_NAME: "PushPals Test",
      GIT_COMMITTER_EMAIL: "test@pushpals.invalid",
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/** A git repository on branch main with the given files committed. */
export async function initRepo(dir: string, files: Record<string, string> = { "README.md": "# scratch\n" }): Promise<string> {
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "config", "user.name", "PushPals Test");
  await git(dir, "config", "user.email", "test@pushpals.invalid");
  await writeFiles(dir, files);
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "initial");
  return git(dir, "rev-parse", "HEAD");
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}
