import { useState } from "react";
import { ItemStatus, JobWaiting } from "../../../gen/pushpals/v1/common_pb.js";
import type { QueueItem } from "../../../gen/pushpals/v1/items_pb.js";
import type { RunInJobResponse } from "../../../gen/pushpals/v1/execution_pb.js";
import { useApi } from "../api.js";

interface Props {
  item: QueueItem;
  /** Runs an action and shows its outcome beside the job's other buttons. */
  act: (what: string, call: () => Promise<unknown>) => Promise<void>;
}

/**
 * Take over and hand back (the same RPCs as `pushpals pause|shell|resume`): Pause stops the
 * agent after its current command and keeps the sandbox and worktree; while paused the person
 * runs commands in the job's sandbox, then Resume gives it back to the agent, or Finish ends the
 * job with what is in the worktree.
 */
export function TakeOver({ item, act }: Props) {
  const { clients, report } = useApi();
  const [command, setCommand] = useState("");
  const [runs, setRuns] = useState<{ command: string; result: RunInJobResponse | string }[]>([]);
  const [running, setRunning] = useState(false);
  const jobId = item.id;
  const working = item.status === ItemStatus.CLAIMED;
  const paused = working && item.waiting === JobWaiting.PAUSED;

  const run = async (text: string) => {
    setRunning(true);
    try {
      const result = await clients.execution.runInJob({ jobId, command: text, author: "web" });
      setRuns((earlier) => [...earlier, { command: text, result }]);
    } catch (e) {
      setRuns((earlier) => [...earlier, { command: text, result: report(e) }]);
    } finally {
      setRunning(false);
    }
  };

  return (
    <div className="take-over">
      <div className="row">
        <button
          type="button"
          disabled={!working || paused}
          onClick={() => act("pause requested", () => clients.execution.pauseJob({ jobId, author: "web", reason: "taken over from the web UI" }))}
        >
          Pause
        </button>
        <button type="button" disabled={!paused} onClick={() => act("resumed", () => clients.execution.resumeJob({ jobId, author: "web" }))}>
          Resume
        </button>
        <button type="button" disabled={!paused} onClick={() => act("finishing with the worktree", () => clients.execution.resumeJob({ jobId, author: "web", finish: true }))}>
          Finish with the worktree
        </button>
      </div>
      {paused && (
        <form
          className="composer"
          onSubmit={(e) => {
            e.preventDefault();
            const text = command.trim();
            if (!text || running) return;
            setCommand("");
            void run(text);
          }}
        >
          <label className="grow">
            <span className="sr-only">Command to run in the job's sandbox</span>
            <input placeholder="A command in the paused job's worktree…" value={command} onChange={(e) => setCommand(e.target.value)} />
          </label>
          <button type="submit" disabled={running || !command.trim()}>
            Run
          </button>
        </form>
      )}
      {runs.length > 0 && (
        <ol className="shell-runs" aria-label="Commands run in the job">
          {runs.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the list only grows; a run's place is its identity.
            <li key={i}>
              <code>$ {r.command}</code>
              {typeof r.result === "string" ? (
                <p className="error">{r.result}</p>
              ) : (
                <pre data-exit-code={r.result.exitCode}>
                  {r.result.output}
                  {r.result.timedOut ? "\n(timed out)" : `\n(exit ${r.result.exitCode})`}
                </pre>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
