import { createHash } from "node:crypto";
import { homedir, userInfo } from "node:os";
import { basename, isAbsolute, join, sep } from "node:path";

/**
 * Where PushPals keeps a repository's state when storage.dataDir is empty: outside the
 * repository (a data dir inside it walks PATH and `require` up into the person's own
 * node_modules, and shows in their checkout), in the XDG state dir:
 * <$XDG_STATE_HOME or ~/.local/state>/pushpals/<repo-name>-<hash of the repo's absolute path>.
 */
export function defaultDataDir(repo: string, env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec ignores a relative XDG_STATE_HOME; so do we.
  const state = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".local", "state");
  return join(state, "pushpals", repoKey(repo));
}

/**
 * Where worktrees go when storage.workDir is empty: the data dir when no segment of its path
 * starts with a dot, else a private folder under /var/tmp. Worktree paths must be free of dot
 * directories because code under test refuses them (static file servers such as `send` answer
 * 404 for any path with a dot segment), and the usual data dir sits under ~/.local.
 */
export function defaultWorkDir(dataDir: string, repo: string): string {
  if (!hasDotSegment(dataDir)) return dataDir;
  return join(privateTmpRoot(), repoKey(repo));
}

/** /var/tmp/pushpals-<uid>: survives reboots (unlike /tmp on many hosts); checked to be ours before use. */
export function privateTmpRoot(): string {
  return join("/var/tmp", `pushpals-${userInfo().uid}`);
}

/** True when a segment of the path starts with "." (".", ".." included). */
export function hasDotSegment(path: string): boolean {
  return path.split(sep).some((segment) => segment.startsWith("."));
}

/** <repo-name>-<8 hex of sha256(absolute path)>: readable, and distinct for two checkouts of one name. */
export function repoKey(repo: string): string {
  const name =
    basename(repo)
      .replace(/[^A-Za-z0-9_.-]/g, "-")
      .replace(/^\.+/, "") || "repo";
  const hash = createHash("sha256").update(repo).digest("hex").slice(0, 8);
  return `${name}-${hash}`;
}
