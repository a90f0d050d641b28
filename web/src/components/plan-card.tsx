import { Intent, Risk } from "../../../gen/pushpals/v1/task_pb.js";
import type { Plan } from "../../../gen/pushpals/v1/task_pb.js";
import { formatDuration } from "../format.js";

const name = (e: Record<number, string>, value: number) => (e[value] ?? "unspecified").toLowerCase().replace(/_/g, " ");

/** A plan as a person reads it: what it will do, how risky, where it may write, how it is checked. */
export function PlanCard({ plan }: { plan: Plan }) {
  const p = plan.planning;
  const risk = p ? name(Risk, p.risk) : "unspecified";
  return (
    <section className="card plan" aria-label="Plan">
      <h3>
        Plan <span className={`pill risk-${risk}`}>risk {risk}</span> <span className="pill">{p ? name(Intent, p.intent) : "no intent"}</span>
        {plan.requiresWorker && <span className="pill">needs a worker</span>}
      </h3>
      {plan.assistantMessage && <p>{plan.assistantMessage}</p>}
      {plan.workerInstruction && (
        <p>
          <strong>Instruction:</strong> {plan.workerInstruction}
        </p>
      )}
      {plan.clarifyingQuestion && (
        <p>
          <strong>Question:</strong> {plan.clarifyingQuestion}
        </p>
      )}
      {p?.scope && (
        <dl className="facts">
          <dt>May write</dt>
          <dd>{p.scope.writeAllowed ? p.scope.writeGlobs.join(", ") || "anywhere" : "nothing"}</dd>
          {p.scope.forbiddenGlobs.length > 0 && (
            <>
              <dt>Never</dt>
              <dd>{p.scope.forbiddenGlobs.join(", ")}</dd>
            </>
          )}
          {p.scope.maxFilesToEdit > 0 && (
            <>
              <dt>Files at most</dt>
              <dd>{p.scope.maxFilesToEdit}</dd>
            </>
          )}
        </dl>
      )}
      {p && p.acceptanceCriteria.length > 0 && (
        <>
          <h4>Acceptance criteria</h4>
          <ul>
            {p.acceptanceCriteria.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        </>
      )}
      {p && p.validationSteps.length > 0 && (
        <>
          <h4>Validation</h4>
          <ol>
            {p.validationSteps.map((s) => (
              <li key={s}>
                <code>{s}</code>
              </li>
            ))}
          </ol>
        </>
      )}
      {p?.budgets && (
        <p className="muted">
          Budget: {p.budgets.maxSteps || "∞"} steps, {p.budgets.maxTokens ? String(p.budgets.maxTokens) : "∞"} tokens, {formatDuration(p.budgets.execution) || "no time limit"}
        </p>
      )}
    </section>
  );
}
