import { useState } from "react";
import { usePolled, useApi } from "../api.js";

export function SessionPicker({ sessionId, onChoose }: { sessionId: string; onChoose: (id: string) => void }) {
  const { clients, report } = useApi();
  const sessions = usePolled((signal) => clients.sessions.listSessions({ pageSize: 100 }, { signal }), 10_000, [sessionId]);
  const [error, setError] = useState("");
  const list = sessions.data?.sessions ?? [];
  const known = list.some((s) => s.id === sessionId);
  return (
    <div className="picker">
      <label>
        <span className="sr-only">Session</span>
        <select aria-label="Session" value={sessionId} onChange={(e) => onChoose(e.target.value)} data-testid="session-picker">
          {!sessionId && <option value="">Choose a session…</option>}
          {sessionId && !known && <option value={sessionId}>{sessionId}</option>}
          {list.map((s) => (
            <option key={s.id} value={s.id}>
              {s.title || s.id}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        onClick={async () => {
          try {
            const created = await clients.sessions.createSession({ title: `web ${new Date().toLocaleString()}` });
            if (created.session) onChoose(created.session.id);
            sessions.refresh();
            setError("");
          } catch (e) {
            setError(report(e));
          }
        }}
      >
        New session
      </button>
      {(error || sessions.error) && (
        <span className="error" role="alert">
          {error || sessions.error}
        </span>
      )}
    </div>
  );
}
