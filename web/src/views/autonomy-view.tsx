import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useState } from "react";
import { AutonomyHealth, AutonomyMode, ObjectiveOutcome, ObjectiveStatus } from "../../../gen/pushpals/v1/autonomy_pb.js";
import { useApi, usePolled } from "../api.js";
import { fetchAutonomyStatus, setAutonomyMode } from "../rpc/autonomy.js";

/** AUTONOMY_MODE_FROZEN → "frozen": the enum's own name, read as a word. */
const word = (names: Record<number, string>, value: number) => (names[value] ?? "unspecified").toLowerCase().replace(/_/g, " ");

const FREEZE_MS = 60 * 60_000;

export function AutonomyView() {
  const api = useApi();
  const answer = usePolled((signal) => fetchAutonomyStatus(api.clients, signal), 5000, [api.clients]);
  const [switching, setSwitching] = useState(false);
  const [switchError, setSwitchError] = useState("");
  const a = answer.data;
  const switchTo = async (mode: AutonomyMode) => {
    setSwitching(true);
    setSwitchError("");
    try {
      await setAutonomyMode(api.clients, mode, "web", FREEZE_MS);
      answer.refresh();
    } catch (e) {
      setSwitchError(api.report(e));
    } finally {
      setSwitching(false);
    }
  };
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
            <dd data-testid="autonomy-mode">{word(AutonomyMode, a.status.state?.mode ?? AutonomyMode.UNSPECIFIED)}</dd>
            {a.status.state?.mode === AutonomyMode.FROZEN && a.status.state.frozenUntil && (
              <>
                <dt>Frozen until</dt>
                <dd>{timestampDate(a.status.state.frozenUntil).toLocaleString()}</dd>
              </>
            )}
            {a.status.state?.updatedBy && (
              <>
                <dt>Set by</dt>
                <dd>{a.status.state.updatedBy}</dd>
              </>
            )}
            <dt>Health</dt>
            <dd>{word(AutonomyHealth, a.status.evaluation?.health ?? AutonomyHealth.UNSPECIFIED)}</dd>
            <dt>Dispatch lease</dt>
            <dd>{a.status.lease?.holder || "nobody holds it"}</dd>
            <dt>Dispatched, last hour</dt>
            <dd>{a.status.dispatchedLastHour}</dd>
            <dt>Tokens today</dt>
            <dd>{String(a.status.tokensToday)}</dd>
            {a.status.evaluation?.summary && (
              <>
                <dt>Last evaluation</dt>
                <dd>{a.status.evaluation.summary}</dd>
              </>
            )}
          </dl>
          <div className="row">
            <button type="button" disabled={switching || a.status.state?.mode === AutonomyMode.ON} onClick={() => void switchTo(AutonomyMode.ON)}>
              Turn on
            </button>
            <button type="button" disabled={switching || a.status.state?.mode === AutonomyMode.OFF} onClick={() => void switchTo(AutonomyMode.OFF)}>
              Turn off
            </button>
            <button type="button" disabled={switching} onClick={() => void switchTo(AutonomyMode.FROZEN)}>
              Freeze 1 h
            </button>
          </div>
          {switchError && <p className="error">{switchError}</p>}
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
              <li key={c.key || `${c.kind}:${c.target}:${c.title}`}>
                <strong>{c.score.toFixed(2)}</strong> {c.title || c.target} <span className="muted">{c.kind}</span>
                {c.skipped && <span className="muted"> (skipped: {c.skipped})</span>}
              </li>
            ))}
          </ul>
          <h3>Objectives</h3>
          <ul>
            {a.status.objectives.map((o) => (
              <li key={o.id}>
                {o.title || o.id} <span className="pill">{word(ObjectiveStatus, o.status)}</span>{" "}
                {o.outcome !== ObjectiveOutcome.UNSPECIFIED && <span className="pill">{word(ObjectiveOutcome, o.outcome)}</span>}
              </li>
            ))}
          </ul>
          <h3>Priors</h3>
          <ul>
            {a.status.priors.map((p) => (
              <li key={p.kind}>
                {p.kind}: <strong>{p.value.toFixed(2)}</strong> <span className="muted">({p.samples} outcomes)</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
