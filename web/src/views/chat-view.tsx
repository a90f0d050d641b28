import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState } from "react";
import { useApi } from "../api.js";
import { ApprovalCard } from "../components/approval-card.js";
import { PlanCard } from "../components/plan-card.js";
import { QuestionCard } from "../components/question-card.js";
import { JobLink } from "../components/job-link.js";
import { navigate } from "../router.js";
import { chatRows, type ChatRow } from "../state/chat-rows.js";
import type { TimelineState } from "../state/timeline.js";

interface Props {
  sessionId: string;
  timeline: TimelineState;
  onSession: (id: string) => void;
}

export function ChatView({ sessionId, timeline, onSession }: Props) {
  const { clients, report } = useApi();
  const rows = useMemo(() => chatRows(timeline.events), [timeline.events]);
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState("");

  const send = async () => {
    const message = text.trim();
    if (!message) return;
    setSending(true);
    try {
      let id = sessionId;
      if (!id) {
        const created = await clients.sessions.createSession({ title: message.slice(0, 60) });
        id = created.session?.id ?? "";
        onSession(id);
        navigate(`/chat/${encodeURIComponent(id)}`);
      }
      setText("");
      // The reply and everything after it arrive on the live timeline; Send's own answer is not needed.
      await clients.chat.send({ sessionId: id, text: message, author: "web", idempotencyKey: crypto.randomUUID() });
      setError("");
    } catch (e) {
      setError(report(e));
      setText(message);
    } finally {
      setSending(false);
    }
  };

  return (
    <section className="chat" aria-label="Chat">
      <h2 className="sr-only">Chat</h2>
      {timeline.lastError && timeline.connection !== "live" && (
        <p className="warn" role="status">
          Reconnecting: {timeline.lastError}
        </p>
      )}
      <Timeline rows={rows} sessionId={sessionId} />
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label className="grow">
          <span className="sr-only">Message</span>
          <textarea
            placeholder={sessionId ? "Ask for a change, a status, anything…" : "Write the first message of a new session…"}
            value={text}
            rows={2}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                void send();
              }
            }}
          />
        </label>
        <button type="submit" disabled={sending || !text.trim()}>
          {sending ? "Sending…" : "Send"}
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** Virtualized: a session of 10,000 events renders the rows in view (plus a few), not all of them. */
function Timeline({ rows, sessionId }: { rows: ChatRow[]; sessionId: string }) {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (rows[i]?.kind === "plan" ? 260 : rows[i]?.kind === "approval" ? 170 : 48),
    overscan: 8,
    getItemKey: (i) => String(rows[i]?.seq ?? i),
  });
  // Stay pinned to the newest row while the person has not scrolled up to read.
  useEffect(() => {
    if (atBottom.current && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: "end" });
  }, [rows.length, virtualizer]);
  return (
    <div
      ref={scroller}
      className="timeline"
      role="log"
      aria-label="Session timeline"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the timeline scrolls; a keyboard must be able to scroll it.
      tabIndex={0}
      data-testid="timeline"
      data-rows={rows.length}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {rows.length === 0 && <p className="muted empty">{sessionId ? "Nothing here yet: say what you need." : "No session yet: your first message starts one."}</p>}
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          return (
            <div
              key={item.key}
              data-index={item.index}
              data-seq={String(row.seq)}
              data-testid="timeline-row"
              ref={virtualizer.measureElement}
              className="trow"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              <RowView row={row} sessionId={sessionId} />
            </div>
          );
        })}
      </div>
    </div>
  );
}

function RowView({ row, sessionId }: { row: ChatRow; sessionId: string }) {
  switch (row.kind) {
    case "user":
      return (
        <div className="bubble user" data-kind="user">
          <span className="who">{row.author || "you"}</span>
          <p>{row.text}</p>
        </div>
      );
    case "assistant":
      return (
        <div className="bubble assistant" data-kind="assistant">
          <span className="who">{row.source}</span>
          <p>{row.text}</p>
        </div>
      );
    case "plan":
      return <PlanCard plan={row.plan} />;
    case "approval":
      return <ApprovalCard approval={row.approval} answer={row.answer} />;
    case "question":
      return <QuestionCard sessionId={sessionId} itemId={row.itemId} text={row.text} options={row.options} answered={row.answered} forJob={row.forJob} />;
    case "item":
    case "progress":
      return (
        <p className={`event tone-${row.kind === "item" ? row.tone : "info"}`} data-kind={row.kind}>
          {row.itemId.startsWith("job_") ? <JobLink jobId={row.itemId}>{row.text}</JobLink> : row.text}
        </p>
      );
    case "error":
      return (
        <p className="event tone-bad" role="note">
          {row.text}
          {row.hint && <span className="muted"> — {row.hint}</span>}
        </p>
      );
  }
}
