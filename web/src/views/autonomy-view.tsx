import { useApi, usePolled } from "../api.js";
import { fetchAutonomyStatus } from "../rpc/autonomy.js";

const words = (s: string | undefined, prefix: string) => (s ?? "unspecified").replace(prefix, "").toLowerCase().replace(/_/g, " ");

export function AutonomyView() {
  const { baseUrl } = useApi();
  const answer = usePolled((signal) => fetchAutonomyStatus(baseUrl, signal), 5000, [baseUrl]);
  const a = answer.data;
  return (
    <section aria-label="Autonomy">
      <h2>Autonomy</h2>
      {answer.error && <p className="error">{answer.error}</p>}
      {a && !a.available && (
        <p className="card muted" data-testid="autonomy-unavailable">
          Autonomy is not available on this server: {a.reason}.
        </p>
      )}
      {a?.available && (
        <>
          <dl className="facts card">
            <dt>Mode</dt>
            <dd data-testid="autonomy-mode">{words(a.status.state?.mode, "AUTONOMY_MODE_")}</dd>
            {a.status.state?.frozenUntil && (
              <>
                <dt>Frozen until</dt>
                <dd>{new Date(a.status.state.frozenUntil).toLocaleString()}</dd>
              </>
            )}
            <dt>Health</dt>
            <dd>{words(a.status.evaluation?.health, "AUTONOMY_HEALTH_")}</dd>
            {a.status.evaluation?.summary && (
              <>
                <dt>Last evaluation</dt>
                <dd>{a.status.evaluation.summary}</dd>
              </>
            )}
          </dl>
          <h3>Gates</h3>
          <ul>
            {(a.status.evaluation?.gates ?? []).map((g) => (
              <li key={g.gate}>
                <span className={g.passed ? "tone-good" : "tone-bad"}>{g.passed ? "open" : "blocks"}</span> {g.gate}
                {g.reason && <span className="muted"> — {g.reason}</span>}
              </li>
            ))}
          </ul>
          <h3>Candidates</h3>
          <ul>
            {(a.status.evaluation?.candidates ?? []).map((c) => (
              <li key={`${c.kind}:${c.target}:${c.title}`}>
                <strong>{(c.score ?? 0).toFixed(2)}</strong> {c.title || c.target} <span className="muted">{c.kind}</span>
                {c.skipped && <span className="muted"> (skipped: {c.skipped})</span>}
              </li>
            ))}
          </ul>
          <h3>Objectives</h3>
          <ul>
            {(a.status.objectives ?? []).map((o) => (
              <li key={o.id}>
                {o.title || o.id} <span className="pill">{words(o.status, "OBJECTIVE_STATUS_")}</span>{" "}
                {o.outcome && <span className="pill">{words(o.outcome, "OBJECTIVE_OUTCOME_")}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
