import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState } from "react";
import { LogStream } from "../../../gen/pushpals/v1/common_pb.js";
import type { JobLog } from "../../../gen/pushpals/v1/events_pb.js";
import { useApi } from "../api.js";

/** The job's output as it happens (StreamJobLogs, follow), resuming after the last line it has. */
export function LogView({ jobId }: { jobId: string }) {
  const { clients, report } = useApi();
  const [lines, setLines] = useState<JobLog[]>([]);
  const [finished, setFinished] = useState(false);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState("");
  const [error, setError] = useState("");
  const lastLine = useRef(0n);

  useEffect(() => {
    setLines([]);
    setFinished(false);
    lastLine.current = 0n;
    const controller = new AbortController();
    const run = async () => {
      for (let attempt = 0; !controller.signal.aborted; attempt++) {
        try {
          let batch: JobLog[] = [];
          let timer: ReturnType<typeof setTimeout> | undefined;
          const flush = () => {
            timer = undefined;
            if (batch.length === 0) return;
            const taken = batch;
            batch = [];
            setLines((old) => [...old, ...taken]);
          };
          for await (const message of clients.execution.streamJobLogs({ jobId, afterLine: lastLine.current, follow: true }, { signal: controller.signal })) {
            if (message.message.case === "line") {
              if (message.message.value.line <= lastLine.current) continue;
              lastLine.current = message.message.value.line;
              batch.push(message.message.value);
              timer ??= setTimeout(flush, 50);
            } else if (message.message.case === "finishedStatus") {
              flush();
              setFinished(true);
              return;
            }
          }
          if (timer !== undefined) clearTimeout(timer);
          flush();
          return;
        } catch (e) {
          if (controller.signal.aborted) return;
          setError(report(e));
          await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
        }
      }
    };
    void run();
    return () => controller.abort();
  }, [clients, jobId, report]);

  const shown = useMemo(() => {
    const q = query.toLowerCase();
    return q ? lines.filter((l) => l.text.toLowerCase().includes(q)) : lines;
  }, [lines, query]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: shown.length, getScrollElement: () => scroller.current, estimateSize: () => 20, overscan: 20 });
  useEffect(() => {
    if (follow && shown.length > 0) virtualizer.scrollToIndex(shown.length - 1, { align: "end" });
  }, [follow, shown.length, virtualizer]);

  return (
    <section className="card" aria-label="Logs">
      <div className="row">
        <h3 className="grow">
          Logs <span className="muted">{finished ? "(finished)" : "(live)"}</span>
        </h3>
        <label className="row">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          Follow
        </label>
        <label>
          <span className="sr-only">Search the logs</span>
          <input type="search" placeholder="Search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls; a keyboard must be able to scroll it. */}
      <div ref={scroller} className="logs" tabIndex={0} role="log" aria-label="Job output" data-testid="logs" data-lines={lines.length}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const line = shown[item.index];
            if (!line) return null;
            return (
              <div key={item.key} className={`logline ${streamClass(line.stream)}`} style={{ transform: `translateY(${item.start}px)` }}>
                <span className="lineno">{String(line.line)}</span>
                {line.text}
              </div>
            );
          })}
        </div>
      </div>
      {lines.length === 0 && <p className="muted">No output yet.</p>}
      {error && !finished && <p className="muted">{error}</p>}
    </section>
  );
}

function streamClass(stream: LogStream): string {
  return stream === LogStream.STDERR ? "stderr" : stream === LogStream.SYSTEM ? "system" : "stdout";
}
