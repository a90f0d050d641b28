import { Intent, Risk } from "../../../gen/pushpals/v1/task_pb.js";
import type { CheckResult } from "../../../gen/pushpals/v1/items_pb.js";
import { durationMs } from "../../../shared/time.js";
import type { MergeRecord } from "../merge-records.js";

/** GitHub refuses bodies over 65536 characters; stay clear of it. */
const MAX_BODY_CHARS = 60_000;
const MAX_FILES_LISTED = 20;

export function pullRequestTitle(branch: string, base: string): string {
  return `PushPals: merge ${branch} into ${base}`;
}

/**
 * The PR body: every job merged on the integration branch and not yet in the base,
 * oldest first, with its plan and its check results. Rebuilt whole on every merge.
 * When too long, the oldest jobs give way (they are in the branch's history anyway).
 */
export function pullRequestBody(records: readonly MergeRecord[], branch: string, base: string): string {
  const intro = `PushPals merges finished agent jobs into \`${branch}\` after its checks pass; merging this pull request brings them into \`${base}\`.\n`;
  const sections = records.map((record, i) => renderJob(record, i + 1));
  let shown = sections;
  let body = compose(intro, records.length, shown, 0);
  while (body.length > MAX_BODY_CHARS && shown.length > 1) {
    shown = shown.slice(1);
    body = compose(intro, records.length, shown, sections.length - shown.length);
  }
  return body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body;
}

function compose(intro: string, total: number, sections: string[], hidden: number): string {
  const count = `**${total} job${total === 1 ? "" : "s"} merged.**`;
  const note = hidden > 0 ? `\n_${hidden} earlier job(s) not shown; see the branch history._\n` : "";
  const list = sections.length === 0 ? "\n_No jobs merged yet._\n" : `\n${sections.join("\n")}`;
  return `${intro}\n${count}\n${note}${list}`;
}

function renderJob(record: MergeRecord, index: number): string {
  const { completion, checks } = record;
  const planning = completion.planning;
  const summaryLines = inert(completion.summary.trim()).split("\n");
  const title = summaryLines[0] || "(no summary)";
  const lines = [`### ${index}. \`${completion.jobId}\` — ${title}`, ""];
  const facts = [`commit \`${record.commit.slice(0, 12)}\``, `strategy ${record.strategy}`];
  if (planning) facts.push(`intent ${enumLabel(Intent[planning.intent])}`, `risk ${enumLabel(Risk[planning.risk])}`);
  lines.push(facts.join(" · "));
  const rest = summaryLines.slice(1).join("\n").trim();
  if (rest) lines.push("", rest);
  if (completion.changedFiles.length > 0) {
    const files = completion.changedFiles.slice(0, MAX_FILES_LISTED).map((f) => `\`${inert(f)}\``);
    const more = completion.changedFiles.length - files.length;
    lines.push("", `Files: ${files.join(", ")}${more > 0 ? ` and ${more} more` : ""}`);
  }
  if (planning && planning.acceptanceCriteria.length > 0) {
    lines.push("", "Acceptance criteria:", ...planning.acceptanceCriteria.map((c) => `- ${inert(c)}`));
  }
  if (planning && planning.validationSteps.length > 0) {
    lines.push("", "Validation in the sandbox:", ...planning.validationSteps.map((s) => `- \`${inert(s)}\``));
  }
  lines.push("", `Checks: ${checks.length === 0 ? "none configured" : checks.map(renderCheck).join(" · ")}`, "");
  return lines.join("\n");
}

function renderCheck(check: CheckResult): string {
  const ms = durationMs(check.duration) ?? 0;
  return `${check.passed ? "✅" : "❌"} ${inert(check.name)} (${(ms / 1000).toFixed(1)} s)`;
}

function enumLabel(name: string | undefined): string {
  return (name ?? "UNSPECIFIED").toLowerCase().replace(/_/g, " ");
}

/** Text from jobs must not ping people or teams from the PR: "@name" gets a zero-width joiner. */
function inert(text: string): string {
  return text.replace(/@(?=[\w-])/g, "@\u2060");
}
