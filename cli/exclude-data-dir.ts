import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { hostGit } from "../services/kernel/git/host-git.js";

/**
 * A data dir inside the repository (the default, <repo>/.pushpals) would show up in
 * `git status` of the person's checkout and could be committed by mistake; it is listed
 * in the repository's own .git/info/exclude (never in a tracked .gitignore).
 */
export async function excludeDataDir(repo: string, dataDir: string): Promise<void> {
  const inside = relative(repo, dataDir);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) return;
  const path = await hostGit(repo, ["rev-parse", "--git-path", "info/exclude"]);
  const file = isAbsolute(path) ? path : join(repo, path);
  const pattern = `/${inside.split(sep).join("/")}/`;
  const current = await readFile(file, "utf8").catch(() => "");
  if (current.split("\n").some((line) => line.trim() === pattern)) return;
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${current === "" || current.endsWith("\n") ? "" : "\n"}# PushPals' data dir\n${pattern}\n`);
}
