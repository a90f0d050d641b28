import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { CheckResultSchema, CompletionPayloadSchema, type CheckResult, type CompletionPayload } from "../../gen/pushpals/v1/items_pb.js";
import { z } from "zod";
import { parseOutsideText } from "../../shared/outside-json.js";
import { git } from "./git/run-git.js";

/**
 * One merge, recorded as a git note (JSON) on the commit that became the integration
 * tip. Notes travel with the branch in the same atomic push, so the PR body can be
 * rebuilt from git alone by any integrator, after any crash.
 */
export interface MergeRecord {
  commit: string;
  completionId: string;
  strategy: string;
  mergedAtMs: number;
  completion: CompletionPayload;
  checks: CheckResult[];
}

/** A note as written below; anyone who can push may write notes, so one is checked before it is read. */
const storedRecord = z.object({
  version: z.literal(1),
  completionId: z.string(),
  strategy: z.string(),
  mergedAt: z.iso.datetime(),
  completion: z.custom<JsonValue>((value) => value !== null && typeof value === "object" && !Array.isArray(value), "must be a JSON object"),
  checks: z.array(z.custom<JsonValue>((value) => value !== null && typeof value === "object", "must be a JSON object")),
});
type StoredRecord = z.infer<typeof storedRecord>;

export async function writeMergeRecord(cwd: string, notesRef: string, record: MergeRecord, env: Record<string, string>): Promise<void> {
  const stored: StoredRecord = {
    version: 1,
    completionId: record.completionId,
    strategy: record.strategy,
    mergedAt: new Date(record.mergedAtMs).toISOString(),
    completion: toJson(CompletionPayloadSchema, record.completion),
    checks: record.checks.map((check) => toJson(CheckResultSchema, check)),
  };
  await git(cwd, ["notes", `--ref=${notesRef}`, "add", "--force", "--file=-", record.commit], { input: JSON.stringify(stored), env });
}

/** Records of the merges in `from..to`, oldest first; notes that do not parse are skipped. */
export async function readMergeRecords(cwd: string, notesRef: string, from: string, to: string): Promise<MergeRecord[]> {
  const log = await git(cwd, ["log", "--reverse", `--notes=${notesRef}`, "--format=%H%x00%N%x1e", `${from}..${to}`, "--"]);
  const records: MergeRecord[] = [];
  for (const entry of log.split("\x1e")) {
    const [commit, note = ""] = entry.trim().split("\0");
    if (!commit || note.trim() === "") continue;
    const record = parseRecord(commit, note);
    if (record) records.push(record);
  }
  return records;
}

function parseRecord(commit: string, note: string): MergeRecord | undefined {
  try {
    const stored = parseOutsideText(storedRecord, note, `the merge note on ${commit}`);
    return {
      commit,
      completionId: stored.completionId,
      strategy: stored.strategy,
      mergedAtMs: Date.parse(stored.mergedAt),
      completion: fromJson(CompletionPayloadSchema, stored.completion, { ignoreUnknownFields: true }),
      checks: stored.checks.map((c) => fromJson(CheckResultSchema, c, { ignoreUnknownFields: true })),
    };
  } catch {
    // Another version's note, or one written by hand: skipped, as the doc above says.
    return undefined;
  }
}
