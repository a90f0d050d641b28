import { Code, ConnectError } from "@connectrpc/connect";
import {
  defaultChangePolicy,
  evaluatePolicy,
  kindOfGitMode,
  MAX_LINK_TARGET_BYTES,
  parseRawDiff,
  policyMessage,
  type ChangeEntry,
  type RawDiffEntry,
} from "../../shared/policy/index.js";
import type { IntegrationContext } from "./context.js";
import { git, runGit } from "./git/run-git.js";

/** Where a completion's commits sit: its start, its tip, and what integration already has. */
export interface CompletionRange {
  from: string;
  sha: string;
  integrationTip: string;
  baseTip: string;
}

/**
 * Refuses, before anything is applied, checked, merged or pushed, a completion whose commits
 * break the operator's [policy]: the runner checks before it commits, and this catches what did
 * not come through a runner (or came through one with an older policy). Every commit the merge
 * would bring in is checked on its own (a big file added and then deleted still travels in the
 * history), and the whole range once more (what a merge commit changed by itself). Throws
 * PermissionDenied, which fails the completion for good (integrate's catch logs it with the job's ids).
 */
export async function refuseOffPolicy(ctx: IntegrationContext, range: CompletionRange, signal?: AbortSignal): Promise<void> {
  const entries = await committedEntries(ctx.worktree, range, signal);
  const verdict = evaluatePolicy(entries, ctx.settings.policy ?? defaultChangePolicy());
  if (verdict.ok) return;
  throw new ConnectError(policyMessage(verdict.violations, "nothing was merged or pushed"), Code.PermissionDenied);
}

/**
 * The entries of every non-merge commit reachable from the tip and not from the integration or
 * base branch (what no-ff and ff-only bring, a superset of the from..sha cherry-pick replays),
 * plus from..sha as one diff; sizes from cat-file --batch-check, link targets from cat-file --batch.
 */
async function committedEntries(cwd: string, range: CompletionRange, signal?: AbortSignal): Promise<ChangeEntry[]> {
  const commits = await git(cwd, ["rev-list", "--no-merges", range.sha, "--not", range.integrationTip, range.baseTip, "--"], { signal });
  const perCommit = commits ? await git(cwd, ["diff-tree", "--stdin", "-r", "-z", "--raw", "--no-renames", "--root"], { input: `${commits}\n`, signal }) : "";
  const whole = await git(cwd, ["diff-tree", "-r", "-z", "--raw", "--no-renames", range.from, range.sha], { signal });
  const raw = distinct([...parseRawDiff(perCommit), ...parseRawDiff(whole)]);

  const blobs = raw.filter((entry) => ["regular", "executable", "symlink"].includes(kindOfGitMode(entry.mode)));
  const sizes = await blobSizes(
    cwd,
    blobs.map((entry) => entry.oid),
    signal,
  );
  const links = blobs.filter((entry) => kindOfGitMode(entry.mode) === "symlink" && (sizes.get(entry.oid) ?? 0) <= MAX_LINK_TARGET_BYTES);
  const targets = await blobTexts(
    cwd,
    links.map((entry) => entry.oid),
    signal,
  );
  return raw.map((entry) => {
    const kind = kindOfGitMode(entry.mode);
    const size = sizes.get(entry.oid) ?? 0;
    return kind === "symlink" ? { path: entry.path, kind, size, linkTarget: targets.get(entry.oid) ?? "" } : { path: entry.path, kind, size };
  });
}

/** The same path with the same content, seen in a commit and in the whole range, counts once. */
function distinct(entries: RawDiffEntry[]): RawDiffEntry[] {
  const seen = new Map<string, RawDiffEntry>();
  for (const entry of entries) seen.set(`${entry.path}\0${entry.mode}\0${entry.oid}`, entry);
  return [...seen.values()];
}

/** `cat-file --batch-check`: "<oid> blob <size>" per object. */
async function blobSizes(cwd: string, oids: string[], signal?: AbortSignal): Promise<Map<string, number>> {
  const unique = [...new Set(oids)];
  const sizes = new Map<string, number>();
  if (unique.length === 0) return sizes;
  const out = await git(cwd, ["cat-file", "--batch-check"], { input: `${unique.join("\n")}\n`, signal });
  for (const line of out.split("\n")) {
    const [oid = "", type = "", size = ""] = line.split(" ");
    if (type === "missing") throw new Error(`object ${oid} of the completion is missing from the repository; fetch the job's branch again`);
    sizes.set(oid, Number(size));
  }
  return sizes;
}

/**
 * Small blobs' contents (symlink targets) from one `cat-file --batch`: a header "<oid> blob
 * <size>", the bytes, a newline. Read back as UTF-8, so a target that is not UTF-8 throws the
 * byte counts off; then every target reads as unreadable, which the symlink rule refuses.
 */
async function blobTexts(cwd: string, oids: string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const unique = [...new Set(oids)];
  const texts = new Map<string, string>();
  if (unique.length === 0) return texts;
  // Not git(): it trims, and a target may end in whitespace.
  const { stdout } = await runGit(["cat-file", "--batch"], { cwd, input: `${unique.join("\n")}\n`, signal });
  const out = Buffer.from(stdout, "utf8");
  let at = 0;
  for (const oid of unique) {
    const headerEnd = out.indexOf(0x0a, at);
    const [named, , size] = out
      .subarray(at, headerEnd < 0 ? at : headerEnd)
      .toString("utf8")
      .split(" ");
    if (headerEnd < 0 || named !== oid) return new Map();
    const start = headerEnd + 1;
    texts.set(oid, out.subarray(start, start + Number(size)).toString("utf8"));
    at = start + Number(size) + 1;
  }
  return texts;
}
