import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isId } from "../../services/kernel/ids.js";

/** The repository's chat session, so `pushpals chat` picks up where the last one left off. */
export function sessionFilePath(repo: string): string {
  return join(repo, ".pushpals", "cli-session");
}

/** The remembered session id, or undefined when there is none (or the file holds something else). */
export async function readRememberedSession(repo: string): Promise<string | undefined> {
  try {
    const id = (await readFile(sessionFilePath(repo), "utf8")).trim();
    return isId("session", id) ? id : undefined;
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined;
    throw error;
  }
}

export async function rememberSession(repo: string, sessionId: string): Promise<void> {
  const dir = join(repo, ".pushpals");
  await mkdir(dir, { recursive: true });
  // The data dir is PushPals' own; keep it out of the repository's `git status`.
  await writeFile(join(dir, ".gitignore"), "*\n", { flag: "wx" }).catch(ignoreExists);
  // Written whole and renamed, so a concurrent reader never sees half an id.
  const path = sessionFilePath(repo);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${sessionId}\n`);
  await rename(partial, path);
}

function ignoreExists(error: unknown): void {
  if (error instanceof Error && "code" in error && error.code === "EEXIST") return;
  throw error;
}
