import { MergeOutcome } from "../../../gen/pushpals/v1/integration_pb.js";
import { useApi, usePolled } from "../api.js";
import { clock, formatDuration } from "../format.js";

const outcomeName = (o: MergeOutcome) => (MergeOutcome[o] ?? "unknown").toLowerCase().replace(/_/g, " ");

export function IntegrationView() {
  const { clients } = useApi();
  const status = usePolled((signal) => clients.integration.getIntegrationStatus({}, { signal }), 3000, []);
  const merges = usePolled((signal) => clients.integration.listMerges({ pageSize: 50 }, { signal }), 3000, []);
  const s = status.data;
  return (
    <section aria-label="Integration">
      <h2>Integration</h2>
      {(status.error || merges.error) && <p className="error">{status.error || merges.error}</p>}
      {s && (
        <dl className="facts card">
          <dt>Integration branch</dt>
          <dd>{s.integrationBranch}</dd>
          <dt>Base branch</dt>
          <dd>{s.baseBranch || "—"}</dd>
          <dt>Head</dt>
          <dd>
            <code>{s.headSha.slice(0, 12) || "—"}</code>
          </dd>
          <dt>Waiting to merge</dt>
          <dd>{s.pendingCompletions}</dd>
          {s.prUrl && (
            <>
              <dt>Pull request</dt>
              <dd>
                <a href={s.prUrl} target="_blank" rel="noreferrer">
                  {s.prUrl}
                </a>
              </dd>
            </>
          )}
        </dl>
      )}
      <h3>Merge history</h3>
      <ul className="merges" data-testid="merges">
        {(merges.data?.merges ?? []).map((m) => (
          <li key={m.completionId} className="card">
            <p>
              <span className={`pill outcome-${outcomeName(m.outcome).replace(/ /g, "-")}`}>{outcomeName(m.outcome)}</span> job {m.jobId} <code>{m.sha.slice(0, 12)}</code>{" "}
              <span className="muted">{clock(m.finishedAt)}</span>
              {m.prUrl && (
                <>
                  {" "}
                  <a href={m.prUrl} target="_blank" rel="noreferrer">
                    pull request
                  </a>
                </>
              )}
            </p>
            {m.error && <p className="error">{m.error}</p>}
            {m.checks.map((c) => (
              <details key={c.name}>
                <summary>
                  <span className={c.passed ? "tone-good" : "tone-bad"}>{c.passed ? "passed" : c.timedOut ? "timed out" : "failed"}</span> {c.name} <code>{c.command}</code>{" "}
                  <span className="muted">{formatDuration(c.duration)}</span>
                </summary>
                <pre>{c.outputTail || "(no output)"}</pre>
              </details>
            ))}
          </li>
        ))}
      </ul>
      {(merges.data?.merges ?? []).length === 0 && <p className="muted">Nothing merged yet.</p>}
    </section>
  );
}
