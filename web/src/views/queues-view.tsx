import { useEffect, useState } from "react";
import { ItemStatus, Priority, QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import type { SloSummary } from "../../../gen/pushpals/v1/queues_pb.js";
import { useApi, usePolled } from "../api.js";
import { durationMs, formatDuration, formatMs } from "../format.js";
import { JobLink } from "../components/job-link.js";
import { statusName } from "./jobs-view.js";
import { ScrollRegion } from "../components/scroll-region.js";

const QUEUES = [
  { queue: QueueName.REQUESTS, label: "Requests" },
  { queue: QueueName.JOBS, label: "Jobs" },
  { queue: QueueName.COMPLETIONS, label: "Completions" },
];

const priorityName = (p: Priority) => (Priority[p] ?? "unspecified").toLowerCase();

export function QueuesView() {
  return (
    <section aria-label="Queues">
      <h2>Queues</h2>
      <SloTiles />
      {QUEUES.map(({ queue, label }) => (
        <QueueTable key={queue} queue={queue} label={label} />
      ))}
    </section>
  );
}

function QueueTable({ queue, label }: { queue: QueueName; label: string }) {
  const { clients } = useApi();
  const items = usePolled((signal) => clients.queues.listItems({ queue, statuses: [ItemStatus.PENDING, ItemStatus.CLAIMED], pageSize: 200 }, { signal }), 2000, [queue]);
  const list = [...(items.data?.items ?? [])].sort((a, b) => a.priority - b.priority || (a.position?.ahead ?? 0) - (b.position?.ahead ?? 0));
  return (
    <section className="card" aria-label={`${label} queue`}>
      <h3>
        {label} <span className="muted">{list.length} waiting or running</span>
      </h3>
      {items.error && <p className="error">{items.error}</p>}
      {list.length === 0 ? (
        <p className="muted">Empty.</p>
      ) : (
        <ScrollRegion label={`${label} items`}>
          <table className="grid">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Priority</th>
                <th scope="col">Status</th>
                <th scope="col">Position</th>
                <th scope="col">ETA</th>
              </tr>
            </thead>
            <tbody>
              {list.map((item) => (
                <tr key={item.id}>
                  <td>{queue === QueueName.JOBS ? <JobLink jobId={item.id} /> : item.id}</td>
                  <td>{priorityName(item.priority)}</td>
                  <td>{statusName(item.status)}</td>
                  <td>{item.status === ItemStatus.PENDING ? `${(item.position?.ahead ?? 0) + 1}` : "running"}</td>
                  <td>{item.status === ItemStatus.PENDING ? formatDuration(item.position?.eta) || "—" : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}

interface Sample {
  at: number;
  waitP95: number;
  runP95: number;
}

/** SLO per queue, with the p95s sampled while the page is open drawn as a small chart. */
function SloTiles() {
  const { clients } = useApi();
  const slos = usePolled((signal) => Promise.all(QUEUES.map(({ queue }) => clients.queues.getSlo({ queue }, { signal }))), 5000, []);
  const [history, setHistory] = useState<Record<number, Sample[]>>({});
  useEffect(() => {
    if (!slos.data) return;
    setHistory((old) => {
      const next = { ...old };
      for (const { summary } of slos.data ?? []) {
        if (!summary) continue;
        const sample = { at: Date.now(), waitP95: durationMs(summary.waitP95), runP95: durationMs(summary.runP95) };
        next[summary.queue] = [...(old[summary.queue] ?? []), sample].slice(-60);
      }
      return next;
    });
  }, [slos.data]);
  return (
    <div className="tiles">
      {slos.error && <p className="error">{slos.error}</p>}
      {(slos.data ?? []).map(({ summary }, i) =>
        summary ? <SloTile key={summary.queue} label={QUEUES[i]?.label ?? ""} slo={summary} samples={history[summary.queue] ?? []} /> : null,
      )}
    </div>
  );
}

function SloTile({ label, slo, samples }: { label: string; slo: SloSummary; samples: Sample[] }) {
  const total = slo.succeeded + slo.failed;
  return (
    <section className="tile card" aria-label={`${label} SLO`}>
      <h3>{label}</h3>
      <dl className="facts">
        <dt>Wait p50 / p95</dt>
        <dd>
          {formatMs(durationMs(slo.waitP50))} / {formatMs(durationMs(slo.waitP95))}
        </dd>
        <dt>Run p50 / p95</dt>
        <dd>
          {formatMs(durationMs(slo.runP50))} / {formatMs(durationMs(slo.runP95))}
        </dd>
        <dt>Success</dt>
        <dd>{total === 0 ? "no runs yet" : `${(slo.successRate * 100).toFixed(0)}% of ${total}`}</dd>
      </dl>
      <Sparkline samples={samples} label={`${label} wait and run p95 over time`} />
    </section>
  );
}

function Sparkline({ samples, label }: { samples: Sample[]; label: string }) {
  const width = 160;
  const height = 36;
  const max = Math.max(1, ...samples.flatMap((s) => [s.waitP95, s.runP95]));
  const line = (pick: (s: Sample) => number) =>
    samples.map((s, i) => `${samples.length === 1 ? width : (i / (samples.length - 1)) * width},${height - (pick(s) / max) * (height - 2) - 1}`).join(" ");
  return (
    <svg className="spark" width={width} height={height} role="img" aria-label={label}>
      <polyline className="spark-wait" points={line((s) => s.waitP95)} fill="none" />
      <polyline className="spark-run" points={line((s) => s.runP95)} fill="none" />
    </svg>
  );
}
