import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import {
  CheckResultSchema,
  CompletionPayloadSchema,
  type CheckResult,
  type CompletionPayload,
} from "../../gen/pushpals/v1/items_pb.js";
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

interface StoredRecord {
  version: 1;
  completionId: string;
  strategy: string;
  mergedAt: string;
  completion: JsonValue;
  checks: JsonValue[];
}

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
    const stored = JSON.parse(note) as StoredRecord;
    if (stored.version !== 1) return undefined;
    return {
      commit,
      completionId: String(stored.completionId ?? ""),
      strategy: String(stored.strategy ?? ""),
      mergedAtMs: Date.parse(stored.mergedAt),
      completion: fromJson(CompletionPayloadSchema, stored.completion, { ignoreUnknownFields: true }),
      checks: (stored.checks ?? []).map((c) => fromJson(CheckResultSchema, c, { ignoreUnknownFields: true })),
    };
  } catch {
    return undefined;
  }
}
