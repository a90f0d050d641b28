import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";

/** Runs git with `input` on stdin; rejects with its stderr on a non-zero exit. */
function git(cwd: string, args: string[], input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`git ${args[0]} failed (${code}): ${err.trim()}`))));
    child.stdin.on("error", () => {}); // git may exit before reading stdin; its exit code says what happened
    child.stdin.end(input);
  });
}

/**
 * A repository whose main holds `fileCount` small files, 100 per directory, written with one
 * `git fast-import` so a 10k-file repository takes about a second to make.
 */
export async function createSandboxBenchRepo(repo: string, fileCount: number): Promise<string> {
  await mkdir(repo, { recursive: true });
  await git(repo, ["init", "-q", "-b", "main"]);
  const message = `${fileCount} files`;
  const parts = [`commit refs/heads/main\ncommitter Bench <bench@pushpals.invalid> 1700000000 +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`];
  for (let i = 0; i < fileCount; i += 1) {
    const path = `dir${String(Math.floor(i / 100)).padStart(3, "0")}/file${String(i).padStart(5, "0")}.txt`;
    const content = `file ${i}\nline two of ${path}\n`;
    parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
  }
  await git(repo, ["fast-import", "--quiet"], parts.join(""));
  await git(repo, ["reset", "--hard", "-q", "main"]);
  return git(repo, ["rev-parse", "HEAD"]);
}

export async function gitVersion(): Promise<string> {
  return (await git(".", ["--version"])).replace(/^git version /, "");
}
