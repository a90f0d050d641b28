import { Code } from "@connectrpc/connect";
import { useEffect, useReducer, useRef } from "react";
import type { SessionService } from "../../../gen/pushpals/v1/sessions_pb.js";
import type { Client } from "@connectrpc/connect";
import { followSession } from "./session-feed.js";
import { emptyTimeline, timelineReducer, type TimelineState } from "./timeline.js";

/** The live timeline of one session for the page: catch-up, stream, resume from the cursor after a break. */
export function useTimeline(sessions: Client<typeof SessionService>, sessionId: string, onUnauthenticated: () => void, authEpoch: number): TimelineState {
  const [state, dispatch] = useReducer(timelineReducer, sessionId, emptyTimeline);
  const cursor = useRef(state.cursor);
  cursor.current = state.sessionId === sessionId ? state.cursor : 0n;
  const unauthenticated = useRef(onUnauthenticated);
  unauthenticated.current = onUnauthenticated;

  useEffect(() => {
    if (state.sessionId !== sessionId) dispatch({ type: "reset", sessionId });
  }, [sessionId, state.sessionId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new token (authEpoch) restarts the feed.
  useEffect(() => {
    if (!sessionId) return;
    const controller = new AbortController();
    void followSession({
      sessions,
      sessionId,
      cursor: () => cursor.current,
      onEvents: (events) => dispatch({ type: "received", events }),
      onConnected: () => dispatch({ type: "connected" }),
      onDisconnected: (error, code) => {
        dispatch({ type: "disconnected", error });
        if (code === Code.Unauthenticated) unauthenticated.current();
      },
      signal: controller.signal,
    });
    return () => controller.abort();
  }, [sessions, sessionId, authEpoch]);

  return state.sessionId === sessionId ? state : emptyTimeline(sessionId);
}
