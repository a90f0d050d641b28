import { useEffect, useState } from "react";

/** The page's own routes (path-based: the server answers index.html for any path without an extension). */
export type Route =
  | { view: "chat"; sessionId: string }
  | { view: "queues" }
  | { view: "jobs"; jobId: string }
  | { view: "workers" }
  | { view: "integration" }
  | { view: "autonomy" }
  | { view: "system" };

export function parseRoute(pathname: string): Route {
  const [first = "", second = ""] = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  switch (first) {
    case "queues":
    case "workers":
    case "integration":
    case "autonomy":
    case "system":
      return { view: first };
    case "jobs":
      return { view: "jobs", jobId: second };
    default:
      return { view: "chat", sessionId: first === "chat" ? second : "" };
  }
}

export function routePath(route: Route): string {
  switch (route.view) {
    case "chat":
      return route.sessionId ? `/chat/${encodeURIComponent(route.sessionId)}` : "/";
    case "jobs":
      return route.jobId ? `/jobs/${encodeURIComponent(route.jobId)}` : "/jobs";
    default:
      return `/${route.view}`;
  }
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path === window.location.pathname) return;
  window.history.pushState(null, "", path);
  for (const listener of listeners) listener();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}
