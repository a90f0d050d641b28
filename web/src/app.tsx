import { Code, ConnectError } from "@connectrpc/connect";
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { ApiContext, describeError, type Api } from "./api.js";
import { SessionPicker } from "./components/session-picker.js";
import { ThemeToggle } from "./components/theme-toggle.js";
import { TokenPrompt } from "./components/token-prompt.js";
import { createWebClients } from "./rpc/clients.js";
import { navigate, routePath, useRoute, type Route } from "./router.js";
import { useTimeline } from "./state/use-timeline.js";
import { ChatView } from "./views/chat-view.js";

// Only the chat is in the first download; the other views load when first opened.
const AutonomyView = lazy(() => import("./views/autonomy-view.js").then((m) => ({ default: m.AutonomyView })));
const IntegrationView = lazy(() => import("./views/integration-view.js").then((m) => ({ default: m.IntegrationView })));
const JobsView = lazy(() => import("./views/jobs-view.js").then((m) => ({ default: m.JobsView })));
const QueuesView = lazy(() => import("./views/queues-view.js").then((m) => ({ default: m.QueuesView })));
const SystemView = lazy(() => import("./views/system-view.js").then((m) => ({ default: m.SystemView })));
const WorkersView = lazy(() => import("./views/workers-view.js").then((m) => ({ default: m.WorkersView })));

const VIEWS: { view: Route["view"]; label: string }[] = [
  { view: "chat", label: "Chat" },
  { view: "queues", label: "Queues" },
  { view: "jobs", label: "Jobs" },
  { view: "workers", label: "Workers" },
  { view: "integration", label: "Integration" },
  { view: "autonomy", label: "Autonomy" },
  { view: "system", label: "System" },
];

const SESSION_KEY = "pushpals.session";

export function App() {
  const baseUrl = window.location.origin;
  const clients = useMemo(() => createWebClients(baseUrl), [baseUrl]);
  const route = useRoute();
  const [needsToken, setNeedsToken] = useState(false);
  const [authEpoch, setAuthEpoch] = useState(0);
  const [sessionId, setSessionId] = useState(() => (route.view === "chat" && route.sessionId) || localStorage.getItem(SESSION_KEY) || "");

  const report = useCallback((error: unknown) => {
    if (ConnectError.from(error).code === Code.Unauthenticated) setNeedsToken(true);
    return describeError(error);
  }, []);
  const api: Api = useMemo(() => ({ clients, baseUrl, report, authEpoch }), [clients, baseUrl, report, authEpoch]);

  const chooseSession = useCallback((id: string) => {
    setSessionId(id);
    localStorage.setItem(SESSION_KEY, id);
  }, []);
  useEffect(() => {
    if (route.view === "chat" && route.sessionId && route.sessionId !== sessionId) chooseSession(route.sessionId);
  }, [route, sessionId, chooseSession]);

  const timeline = useTimeline(clients.sessions, sessionId, () => setNeedsToken(true), authEpoch);

  const go = (target: Route) => navigate(routePath(target));
  const routeOf = (view: Route["view"]): Route => (view === "chat" ? { view, sessionId } : view === "jobs" ? { view, jobId: "" } : ({ view } as Route));

  return (
    <ApiContext.Provider value={api}>
      <div className="shell">
        <header className="top">
          <h1 className="brand">PushPals</h1>
          <SessionPicker
            sessionId={sessionId}
            onChoose={(id) => {
              chooseSession(id);
              if (route.view === "chat") go({ view: "chat", sessionId: id });
            }}
          />
          <span className={`conn conn-${timeline.connection}`} role="status" aria-live="polite" data-testid="connection">
            {sessionId ? timeline.connection : "no session"}
            {timeline.reconnects > 0 ? ` (resumed ${timeline.reconnects}×)` : ""}
          </span>
          <ThemeToggle />
        </header>
        <nav className="tabs" aria-label="Views">
          {VIEWS.map(({ view, label }) => (
            <a
              key={view}
              href={routePath(routeOf(view))}
              aria-current={route.view === view ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                go(routeOf(view));
              }}
            >
              {label}
            </a>
          ))}
        </nav>
        <main className="view">
          <Suspense fallback={<p className="muted">Loading…</p>}>
            {route.view === "chat" && <ChatView sessionId={sessionId} timeline={timeline} onSession={chooseSession} />}
            {route.view === "queues" && <QueuesView />}
            {route.view === "jobs" && <JobsView jobId={route.jobId} sessionId={sessionId} timeline={timeline} onSession={chooseSession} />}
            {route.view === "workers" && <WorkersView />}
            {route.view === "integration" && <IntegrationView />}
            {route.view === "autonomy" && <AutonomyView />}
            {route.view === "system" && <SystemView timeline={timeline} />}
          </Suspense>
        </main>
      </div>
      {needsToken && (
        <TokenPrompt
          onDone={() => {
            setNeedsToken(false);
            setAuthEpoch((n) => n + 1);
          }}
        />
      )}
    </ApiContext.Provider>
  );
}
