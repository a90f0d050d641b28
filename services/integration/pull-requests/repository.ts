/**
 * owner/name from a remote URL of a GitHub-like host:
 * https://host/owner/name(.git), git@host:owner/name(.git), ssh://git@host[:port]/owner/name(.git).
 */
export function repositoryFromRemoteUrl(url: string): string | undefined {
  const scp = /^[\w.-]+@[\w.-]+:([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url);
  if (scp) return `${scp[1]}/${scp[2]}`;
  try {
    const parsed = new URL(url);
    if (!["https:", "http:", "ssh:", "git:"].includes(parsed.protocol)) return undefined;
    const match = /^\/([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(parsed.pathname);
    return match ? `${match[1]}/${match[2]}` : undefined;
  } catch {
    return undefined;
  }
}
