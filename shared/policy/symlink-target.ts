import { posix } from "node:path";

/** Longer than any target a file system stores (PATH_MAX); such a blob is not a real link. */
export const MAX_LINK_TARGET_BYTES = 4096;

/**
 * Why a symlink at `path` pointing at `target` leaves the worktree or reaches into git's own
 * directory, or undefined when it stays inside. Lexical, as git and a checkout see it: the target
 * is joined to the link's directory and normalized; each link in a chain is checked on its own.
 */
export function symlinkEscape(path: string, target: string): string | undefined {
  if (target === "") return "an empty or unreadable target";
  if (target.startsWith("/")) return "an absolute target";
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === ".." || resolved.startsWith("../")) return "a target outside the worktree";
  if (resolved.split("/").some((part) => part.toLowerCase() === ".git")) return "a target inside .git";
  return undefined;
}
