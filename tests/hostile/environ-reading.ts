import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";

/**
 * The secrets an attacker on the host wants, each with a value no other process on this machine
 * has, so finding the value anywhere means it leaked from the process under test.
 */
export function fakeSecrets(): Record<string, string> {
  const unique = (prefix: string) => `${prefix}${randomBytes(12).toString("hex")}`;
  return {
    PUSHPALS_LLM_API_KEY: unique("sk-fake-llm-"),
    PUSHPALS_GIT_PUSH_TOKEN: unique("push-token-"),
    PUSHPALS_AUTH_TOKEN: unique("auth-token-"),
    GITHUB_TOKEN: unique("ghp_fake"),
  };
}

/** What /proc/<pid>/environ shows of the process (its original environment block), "" if it is gone. */
export async function environOf(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/environ`, "latin1").catch(() => "");
}

/** `pid` and every process below it, from each process's parent in /proc/<pid>/stat. */
export async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (Number.isInteger(ppid)) parents.set(Number(entry), ppid);
  }
  const tree = [pid];
  for (let at = 0; at < tree.length; at += 1) {
    for (const [child, parent] of parents) if (parent === tree[at]) tree.push(child);
  }
  return tree;
}

/** The names of `secrets` whose value occurs in `text`. */
export function leakedIn(text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}
