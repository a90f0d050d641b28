import type { CommitIdentity } from "./workspace/index.js";

/** "Name <email>" (runner.commitAuthor, already validated by the config schema) as name and email. */
export function commitIdentity(author: string): CommitIdentity {
  const match = /^(.*\S)\s*<([^<>\s]+)>$/.exec(author.trim());
  if (!match) throw new Error(`runner.commitAuthor ${JSON.stringify(author)} is not "Name <email>"`);
  return { name: match[1]!, email: match[2]! };
}
