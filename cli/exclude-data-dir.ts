import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { hostGit } from "../shared/git/host-git.js";

const COMMENT = "# PushPals' data dir";

/**
 * A data dir inside the repository (set by storage.dataDir; the default is outside) would show up in
 * `git status` of the person's checkout and could be committed by mistake; it is listed
 * in the repository's own .git/info/exclude (never in a tracked .gitignore).
 */
export async function excludeDataDir(repo: string, dataDir: string): Promise<void> {
  const pattern = excludePattern(repo, dataDir);
  if (!pattern) return;
  const file = await excludeFile(repo);
  const current = await readFile(file, "utf8").catch(() => "");
  if (current.split("\n").some((line) => line.trim() === pattern)) return;
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${current === "" || current.endsWith("\n") ? "" : "\n"}${COMMENT}\n${pattern}\n`);
}

/**
 * Takes back the lines excludeDataDir wrote once the data dir moved out: a person may now
 * commit files in that folder (.pushpals/environment.toml), which the pattern would hide.
 */
export async function removeDataDirExclude(repo: string, oldDataDir: string): Promise<void> {
  const pattern = excludePattern(repo, oldDataDir);
  if (!pattern) return;
  const file = await excludeFile(repo);
  const lines = (await readFile(file, "utf8").catch(() => "")).split("\n");
  const kept = lines.filter((line, i) => line.trim() !== pattern && !(line === COMMENT && lines[i + 1]?.trim() === pattern));
  if (kept.length !== lines.length) await writeFile(file, kept.join("\n"));
}

function excludePattern(repo: string, dataDir: string): string | undefined {
  const inside = relative(repo, dataDir);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) return undefined;
  return `/${inside.split(sep).join("/")}/`;
}

async function excludeFile(repo: string): Promise<string> {
  const path = await hostGit(repo, ["rev-parse", "--git-path", "info/exclude"]);
  return isAbsolute(path) ? path : join(repo, path);
}
