import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultDataDir } from "../../shared/config/data-dir.js";
import { isId } from "../../shared/ids.js";

/**
 * The repository's chat session, so `pushpals chat` picks up where the last one left off. It
 * lives in the repository's data dir (PUSHPALS_DATA_DIR, else the XDG state dir), never in the
 * checkout: a `.pushpals/` folder there belongs to the person (environment.toml is committed).
 */
export function sessionFilePath(repo: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.PUSHPALS_DATA_DIR || defaultDataDir(repo, env), "cli-session");
}

/** Where an older PushPals kept it; read once and moved. */
function legacySessionFilePath(repo: string): string {
  return join(repo, ".pushpals", "cli-session");
}

/** The remembered session id, or undefined when there is none (or the file holds something else). */
export async function readRememberedSession(repo: string): Promise<string | undefined> {
  const id = (await readIfExists(sessionFilePath(repo))) ?? (await adoptLegacy(repo));
  return id !== undefined && isId("session", id) ? id : undefined;
}

export async function rememberSession(repo: string, sessionId: string): Promise<void> {
  const path = sessionFilePath(repo);
  await mkdir(join(path, ".."), { recursive: true });
  // Written whole and renamed, so a concurrent reader never sees half an id.
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${sessionId}\n`);
  await rename(partial, path);
}

async function adoptLegacy(repo: string): Promise<string | undefined> {
  const id = await readIfExists(legacySessionFilePath(repo));
  if (id === undefined || !isId("session", id)) return undefined;
  await rememberSession(repo, id);
  await rm(legacySessionFilePath(repo), { force: true });
  // The old `*` .gitignore beside it would hide a committed .pushpals/environment.toml from git add.
  const ignore = join(repo, ".pushpals", ".gitignore");
  if ((await readIfExists(ignore)) === "*") await rm(ignore, { force: true });
  return id;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return undefined;
    throw error;
  }
}
