import { useEffect, useMemo, useState } from "react";
import { ItemStatus, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import { useApi, usePolled } from "../api.js";
import { DiffView } from "../components/diff-view.js";
import { LogView } from "../components/log-view.js";
import { clock, durationMs, formatMs, timeOf } from "../format.js";
import { JobLink } from "../components/job-link.js";
import { navigate } from "../router.js";
import { jobSummaries, type JobSummary } from "../state/job-summary.js";
import type { TimelineState } from "../state/timeline.js";
import { ScrollRegion } from "../components/scroll-region.js";
import { TakeOver } from "../components/take-over.js";

interface Props {
  jobId: string;
  sessionId: string;
  timeline: TimelineState;
  onSession: (id: string) => void;
}

export const statusName = (s: ItemStatus) => (ItemStatus[s] ?? "unknown").toLowerCase().replace(/_/g, " ");

export function JobsView({ jobId, sessionId, timeline, onSession }: Props) {
  return jobId ? <JobDetail jobId={jobId} sessionId={sessionId} timeline={timeline} onSession={onSession} /> : <JobList />;
}

function JobList() {
  const { clients } = useApi();
  const jobs = usePolled((signal) => clients.queues.listItems({ queue: QueueName.JOBS, pageSize: 100 }, { signal }), 3000, []);
  const items = [...(jobs.data?.items ?? [])].reverse();
  return (
    <section aria-label="Jobs">
      <h2>Jobs</h2>
      {jobs.error && (
        <p className="error" role="alert">
          {jobs.error}
        </p>
      )}
      <ScrollRegion label="Job list">
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Status</th>
              <th scope="col">Worker</th>
              <th scope="col">Enqueued</th>
              <th scope="col">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id}>
                <td>
                  <JobLink jobId={item.id} />
                </td>
                <td>
                  <span className={`pill status-${statusName(item.status).replace(/ /g, "-")}`}>{statusName(item.status)}</span>
                </td>
                <td>{item.claimedBy || "—"}</td>
                <td>{clock(item.enqueuedAt)}</td>
                <td>
                  {item.attempts}/{item.maxAttempts}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      {items.length === 0 && <p className="muted">No jobs yet.</p>}
    </section>
  );
}

function JobDetail({ jobId, sessionId, timeline, onSession }: Props) {
  const { clients, report } = useApi();
  const polled = usePolled((signal) => clients.queues.getItem({ itemId: jobId }, { signal }), 2000, [jobId]);
  const item = polled.data?.item;
  // The job's stages and steps come from its session's timeline: follow that session.
  useEffect(() => {
    if (item?.sessionId && item.sessionId !== sessionId) onSession(item.sessionId);
  }, [item, sessionId, onSession]);
  const summary = useMemo(() => jobSummaries(timeline.events).get(jobId), [timeline.events, jobId]);
  const [message, setMessage] = useState("");
  const [note, setNote] = useState("");

  const act = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
      setNote(what);
      polled.refresh();
    } catch (e) {
      setNote(report(e));
    }
  };
  const final = item ? [ItemStatus.COMPLETED, ItemStatus.FAILED, ItemStatus.CANCELLED, ItemStatus.DEAD_LETTER].includes(item.status) : false;

  return (
    <section aria-label={`Job ${jobId}`}>
      <h2>
        Job {jobId} {item && <span className={`pill status-${statusName(item.status).replace(/ /g, "-")}`}>{statusName(item.status)}</span>}
      </h2>
      {polled.error && (
        <p className="error" role="alert">
          {polled.error}
        </p>
      )}
      {item?.lastError && <p className="error">{item.lastError}</p>}
      <div className="row">
        <button
          type="button"
          className="danger"
          disabled={!item || final}
          onClick={() => act("cancel requested", () => clients.queues.cancel({ itemId: jobId, reason: "cancelled from the web UI" }))}
        >
          Cancel
        </button>
        <button type="button" disabled={!item || !final} onClick={() => item && act("retry enqueued", () => retry(item))}>
          Retry
        </button>
        {note && <span role="status">{note}</span>}
      </div>
      {item && <TakeOver item={item} act={act} />}
      {item && <Budgets item={item} summary={summary} />}
      {summary && <Stages summary={summary} />}
      <LogView jobId={jobId} />
      <JobDiff jobId={jobId} status={item?.status} />
      {summary && <Trajectory summary={summary} />}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          const text = message.trim();
          if (!text) return;
          setMessage("");
          void act("follow-up sent", () => clients.execution.sendToJob({ jobId, text, author: "web" }));
        }}
      >
        <label className="grow">
          <span className="sr-only">Follow-up for the job</span>
          <input placeholder="Tell the running job something…" value={message} onChange={(e) => setMessage(e.target.value)} disabled={final} />
        </label>
        <button type="submit" disabled={final || !message.trim()}>
          Send to job
        </button>
      </form>
    </section>
  );

  async function retry(old: QueueItem) {
    const { item: next } = await clients.queues.enqueue({
      queue: QueueName.JOBS,
      sessionId: old.sessionId,
      priority: old.priority,
      payload: old.payload,
      parentId: old.id,
      idempotencyKey: `web-retry-${old.id}-${Date.now()}`,
    });
    if (next) navigate(`/jobs/${next.id}`);
  }
}

function Budgets({ item, summary }: { item: QueueItem; summary: JobSummary | undefined }) {
  const budgets = summary?.planning?.budgets ?? (item.payload?.kind.case === "taskExecuteV2" ? item.payload.kind.value.planning?.budgets : undefined);
  const started = timeOf(item.claimedAt);
  const ended = timeOf(item.finishedAt);
  const wall = started ? (ended ?? new Date()).getTime() - started.getTime() : 0;
  const tokens = summary ? summary.promptTokens + summary.completionTokens : 0n;
  const meter = (label: string, used: number, limit: number, show: string) => (
    <div className="meter">
      <span>{label}</span>
      <progress max={limit || Math.max(used, 1)} value={used} aria-label={`${label} used`} />
      <span>
        {show}
        {limit ? ` of ${label === "Wall time" ? formatMs(limit) : limit}` : ""}
      </span>
    </div>
  );
  return (
    <section className="card" aria-label="Budgets">
      <h3>Budgets</h3>
      {meter("Steps", summary?.steps.length ?? 0, budgets?.maxSteps ?? 0, String(summary?.steps.length ?? 0))}
      {meter("Tokens", Number(tokens), Number(budgets?.maxTokens ?? 0n), String(tokens))}
      {meter("Wall time", wall, durationMs(budgets?.execution), formatMs(wall))}
      {summary && summary.models.length > 0 && <p className="muted">Model: {summary.models.join(", ")}</p>}
    </section>
  );
}

function Stages({ summary }: { summary: JobSummary }) {
  return (
    <section className="card" aria-label="Stages">
      <h3>Stages</h3>
      <ol className="stages">
        {summary.stages.map((stage, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a stage can repeat (a retry); its place is its identity.
          <li key={i}>
            <time>{clock(stage.at)}</time> <strong>{stage.name}</strong> {stage.detail && <span className="muted">{stage.detail}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}

function Trajectory({ summary }: { summary: JobSummary }) {
  if (summary.steps.length === 0) return null;
  return (
    <section className="card" aria-label="Trajectory">
      <h3>Trajectory</h3>
      <ol className="steps">
        {summary.steps.map((step) => (
          <li key={step.step}>
            <details>
              <summary>
                Step {step.step}: <code>{step.command || "(no command)"}</code> <span className={step.exitCode === 0 ? "tone-good" : "tone-bad"}>exit {step.exitCode}</span>
              </summary>
              {step.thought && <p>{step.thought}</p>}
              {step.output && <pre>{step.output}</pre>}
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}

function JobDiff({ jobId, status }: { jobId: string; status: ItemStatus | undefined }) {
  const { clients } = useApi();
  const done = status !== undefined && status !== ItemStatus.PENDING && status !== ItemStatus.CLAIMED;
  const diff = usePolled(
    async (signal) => {
      const { artifacts } = await clients.execution.listArtifacts({ jobId }, { signal });
      const found = artifacts.find((a) => a.name === "diff");
      if (!found) return "";
      const { artifact } = await clients.execution.getArtifact({ artifactId: found.id }, { signal });
      return new TextDecoder().decode(artifact?.content ?? new Uint8Array());
    },
    done ? 60_000 : 3000,
    [jobId, done],
  );
  if (!diff.data) return <p className="muted card">{done ? "This job changed nothing (no diff)." : "The change appears here once the job commits."}</p>;
  return <DiffView diff={diff.data} />;
}
