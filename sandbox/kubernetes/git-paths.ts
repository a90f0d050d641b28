/**
 * Any path with a `.git` component (any case): git data that belongs to the host. The job's
 * repository goes into the pod as a fresh copy (git-for-pod.ts) and nothing git-shaped ever
 * comes back out: a planted hook or config would run on the host the next time git does.
 */
export function isGitPath(relative: string): boolean {
  return relative.split("/").some((part) => part.toLowerCase() === ".git");
}
