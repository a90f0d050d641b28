import { WorkerStatus } from "../../../gen/pushpals/v1/execution_pb.js";
import { useApi, usePolled } from "../api.js";
import { ago } from "../format.js";
import { JobLink } from "../components/job-link.js";
import { ScrollRegion } from "../components/scroll-region.js";

export function WorkersView() {
  const { clients } = useApi();
  const workers = usePolled((signal) => clients.execution.listWorkers({ pageSize: 200 }, { signal }), 3000, []);
  const list = workers.data?.workers ?? [];
  return (
    <section aria-label="Workers">
      <h2>Workers</h2>
      {workers.error && <p className="error">{workers.error}</p>}
      <ScrollRegion label="Worker list">
        <table className="grid">
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">State</th>
              <th scope="col">Current job</th>
              <th scope="col">Sandbox</th>
              <th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => {
              const status = (WorkerStatus[w.status] ?? "unknown").toLowerCase();
              const busy = w.activeJobIds.length > 0;
              return (
                <tr key={w.id}>
                  <td>
                    {w.name || w.id} <span className="muted">{w.host}</span>
                  </td>
                  <td>
                    <span className={`pill worker-${status}`}>{status}</span> {status === "online" && (busy ? "busy" : "idle")}
                  </td>
                  <td>{w.activeJobIds.length === 0 ? "—" : w.activeJobIds.map((id) => <JobLink key={id} jobId={id} />)}</td>
                  <td>{w.drivers.join(", ") || "—"}</td>
                  <td>{ago(w.lastHeartbeatAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollRegion>
      {list.length === 0 && <p className="muted">No worker has sent a heartbeat yet.</p>}
    </section>
  );
}
