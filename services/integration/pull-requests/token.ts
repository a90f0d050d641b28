import { execFile } from "node:child_process";
import { unauthenticated } from "../../../shared/errors.js";

export type TokenSource = () => Promise<string>;

/**
 * The GitHub token, looked up once on first use: the config (PUSHPALS_GITHUB_TOKEN),
 * then GITHUB_TOKEN / GH_TOKEN, then `gh auth token` for a person's logged-in gh.
 */
export function githubToken(configured: string, env: NodeJS.ProcessEnv = process.env): TokenSource {
  let found: Promise<string> | undefined;
  const lookUp = async () => {
    const token = configured || env.GITHUB_TOKEN || env.GH_TOKEN || (await ghAuthToken());
    if (!token) {
      throw unauthenticated("no GitHub token: set PUSHPALS_GITHUB_TOKEN (or GITHUB_TOKEN), or log in with `gh auth login`");
    }
    return token;
  };
  return () => {
    found ??= lookUp().catch((error: unknown) => {
      found = undefined; // a later `gh auth login` should be picked up
      throw error;
    });
    return found;
  };
}

function ghAuthToken(): Promise<string> {
  return new Promise((resolve) => {
    execFile("gh", ["auth", "token"], { timeout: 5000 }, (error, stdout) => resolve(error ? "" : stdout.trim()));
  });
}
