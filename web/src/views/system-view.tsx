import { useMemo } from "react";
import { HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { QueueName } from "../../../gen/pushpals/v1/common_pb.js";
import { BusKind, ModelRole, StoreKind } from "../../../gen/pushpals/v1/kinds_pb.js";
import { useApi, usePolled } from "../api.js";
import { clock } from "../format.js";
import type { TimelineState } from "../state/timeline.js";
import { ScrollRegion } from "../components/scroll-region.js";

const name = (e: Record<number, string>, v: number) => (e[v] ?? "unknown").toLowerCase().replace(/_/g, " ");

export function SystemView({ timeline }: { timeline: TimelineState }) {
  const { clients } = useApi();
  const status = usePolled((signal) => clients.system.getSystemStatus({}, { signal }), 3000, []);
  const health = usePolled((signal) => clients.health.list({}, { signal }), 5000, []);
  // The server reports no model config; the session's token usage says which model served each role.
  const models = useMemo(() => {
    const byRole = new Map<string, string>();
    for (const e of timeline.events) if (e.payload.case === "tokenUsage") byRole.set(name(ModelRole, e.payload.value.role), e.payload.value.model);
    return [...byRole];
  }, [timeline.events]);
  const s = status.data;
  return (
    <section aria-label="System">
      <h2>System</h2>
      {(status.error || health.error) && <p className="error">{status.error || health.error}</p>}
      {s && (
        <dl className="facts card">
          <dt>Version</dt>
          <dd>{s.version}</dd>
          <dt>Repository</dt>
          <dd>{s.repo}</dd>
          <dt>Store</dt>
          <dd data-testid="store">{name(StoreKind, s.store)}</dd>
          <dt>Bus</dt>
          <dd>{name(BusKind, s.bus)}</dd>
          <dt>Workers online</dt>
          <dd>{s.workersOnline}</dd>
          <dt>Started</dt>
          <dd>{clock(s.startedAt)}</dd>
        </dl>
      )}
      <h3>Services</h3>
      <ul className="health">
        {Object.entries(health.data?.statuses ?? {}).map(([service, check]) => {
          const state = name(HealthCheckResponse_ServingStatus, check.status);
          return (
            <li key={service || "(server)"}>
              <span className={state === "serving" ? "tone-good" : "tone-bad"}>{state}</span> {service || "the server as a whole"}
            </li>
          );
        })}
      </ul>
      <h3>Queue depth</h3>
      <ScrollRegion label="Queue depth">
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col">Interactive</th>
              <th scope="col">Normal</th>
              <th scope="col">Background</th>
              <th scope="col">Running</th>
              <th scope="col">Dead letter</th>
            </tr>
          </thead>
          <tbody>
            {(s?.queues ?? []).map((q) => (
              <tr key={q.queue}>
                <td>{name(QueueName, q.queue)}</td>
                <td>{q.pendingInteractive}</td>
                <td>{q.pendingNormal}</td>
                <td>{q.pendingBackground}</td>
                <td>{q.claimed}</td>
                <td>{q.deadLetter}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
      <h3>Models</h3>
      {models.length === 0 ? (
        <p className="muted">No model call in this session yet.</p>
      ) : (
        <ul>
          {models.map(([role, model]) => (
            <li key={role}>
              {role}: <code>{model}</code>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
