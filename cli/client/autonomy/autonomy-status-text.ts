import { AutonomyHealth, AutonomyMode, ObjectiveOutcome, ObjectiveStatus, type GetAutonomyStatusResponse } from "../../../gen/pushpals/v1/autonomy_pb.js";
import { fromTimestamp } from "../../../shared/time.js";
import { ageOf, oneLine } from "../format.js";
import type { Style } from "../style.js";
import { renderTable } from "../table.js";

const word = <E extends Record<string, string | number>>(e: E, value: number) => {
  const name = e[value as keyof E];
  return typeof name === "string" && name !== "UNSPECIFIED" ? name.toLowerCase().replace(/_/g, " ") : "-";
};

/** The switch, the lock, the latest pass (gates and candidates), objectives and priors, as tables a person reads top down. */
export function autonomyStatusText(status: GetAutonomyStatusResponse, style: Style, now = Date.now()): string {
  const state = status.state;
  const lines: string[] = [];
  const frozenUntil = fromTimestamp(state?.frozenUntil);
  const mode = state?.mode === AutonomyMode.FROZEN && frozenUntil !== undefined ? `frozen until ${new Date(frozenUntil).toISOString()}` : word(AutonomyMode, state?.mode ?? 0);
  const evaluation = status.evaluation;
  lines.push(
    `autonomy: ${style.bold(mode)} (set by ${state?.updatedBy || "config"}${state?.updatedAt ? `, ${ageOf(state.updatedAt, now)} ago` : ""})`,
    `health: ${word(AutonomyHealth, evaluation?.health ?? 0)}, ${state?.consecutiveFailures ?? 0} consecutive failure(s)`,
    `dispatcher: ${status.lease?.holder || "none"}; ${status.dispatchedLastHour} dispatched in the last hour, ${status.tokensToday} tokens today`,
  );
  if (evaluation) {
    lines.push("", `last pass ${ageOf(evaluation.at, now)} ago: ${evaluation.summary}`, "");
    lines.push(
      ...renderTable(
        ["GATE", "", "WHY"],
        evaluation.gates.map((g) => [g.gate, g.passed ? "ok" : "BLOCKED", g.reason]),
        (_r, column, cell) => (column === 1 ? (cell.startsWith("ok") ? style.ok(cell) : style.bad(cell)) : cell),
      ),
    );
    if (evaluation.candidates.length > 0) {
      lines.push("");
      lines.push(
        ...renderTable(
          ["CANDIDATE", "SCORE", "RISK", "STATE"],
          evaluation.candidates.map((c) => [c.key, c.score.toFixed(1), c.risk.toFixed(2), c.skipped ? oneLine(c.skipped, 80) : "eligible"]),
        ),
      );
    }
  } else {
    lines.push("", "no pass yet");
  }
  if (status.objectives.length > 0) {
    lines.push("");
    const rows = status.objectives.map((o) => [
      o.id,
      o.key,
      o.status === ObjectiveStatus.FINISHED || o.status === ObjectiveStatus.DECLINED ? word(ObjectiveOutcome, o.outcome) : word(ObjectiveStatus, o.status),
      ageOf(o.createdAt, now),
      o.requestId || o.approvalId || "-",
      oneLine(o.comment || o.title, 60),
    ]);
    lines.push(...renderTable(["OBJECTIVE", "KEY", "STATE", "AGE", "ITEM", "NOTE"], rows, (_r, column, cell) => (column === 0 ? style.id(cell) : cell)));
  }
  const questions = status.objectives.filter((o) => o.status === ObjectiveStatus.QUESTIONED);
  if (questions.length > 0)
    lines.push("", `${questions.length} question(s) wait for you: pushpals approve <id> / pushpals deny <id> -m "why" (${questions.map((q) => q.approvalId).join(", ")})`);
  if (status.priors.length > 0) {
    lines.push("");
    lines.push(
      ...renderTable(
        ["KIND", "PRIOR", "OUTCOMES"],
        status.priors.map((p) => [p.kind, p.value.toFixed(2), String(p.samples)]),
      ),
    );
  }
  return lines.join("\n");
}
