import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { UserMessageSchema } from "../../gen/pushpals/v1/events_pb.js";
import { type SessionService, StreamEventsResponseSchema, type StreamEventsResponse } from "../../gen/pushpals/v1/sessions_pb.js";
import { notFound } from "../../shared/errors.js";
import { COMPRESS_MIN_BYTES, frameWriterOf } from "../../shared/rpc/frame-writer.js";
import { framesBeneathConnect } from "../../shared/rpc/frames-beneath-connect.js";
import { mapStream } from "../../shared/rpc/stream-hooks.js";
import { parseRequest } from "../../shared/rpc/validate.js";
import { toTimestamp } from "../../shared/time.js";
import { committedEvents } from "./commit.js";
import type { ControlPlaneDeps } from "./deps.js";
import { binaryEventResponse, encodesBinary, eventFrame, FRAME_HEADER_BYTES, plainEventResponse, responseFrame } from "./event-frames.js";
import { followSessionEvents, type FollowItem } from "./event-follower.js";
import { decodePageToken, decodeSeqToken, encodeSeqToken, keysetPage, pageLimit } from "./page-token.js";
import * as requests from "./requests/session-requests.js";

const SESSION_ID = /^ses_[0-9A-HJKMNP-TV-Z]{26}$/;

export function sessionService({ store, hub, commit, config }: ControlPlaneDeps): ServiceImpl<typeof SessionService> {
  return {
    async createSession(message) {
      const req = parseRequest(requests.createSessionRequest, message);
      const { session } = await commit(store.createSession({ title: req.title, idempotencyKey: req.idempotencyKey || undefined }));
      return { session };
    },

    async getSession(message) {
      const req = parseRequest(requests.getSessionRequest, message);
      const session = await store.getSession(req.sessionId);
      if (!session) throw notFound("session", req.sessionId);
      return { session };
    },

    async listSessions(message) {
      const req = parseRequest(requests.listSessionsRequest, message);
      const limit = pageLimit(req.pageSize);
      const sessions = await store.listSessions({ limit: limit + 1, before: decodePageToken(req.pageToken, SESSION_ID) });
      const { page, nextPageToken } = keysetPage(sessions, limit);
      return { sessions: page, nextPageToken };
    },

    async postMessage(message) {
      const req = parseRequest(requests.postMessageRequest, message);
      const userMessage = { case: "message" as const, value: create(UserMessageSchema, { text: req.text, author: req.author, idempotencyKey: req.idempotencyKey }) };
      const [event] = await committedEvents(commit, store.appendEvents(req.sessionId, [{ payload: userMessage }]));
      return { event };
    },

    streamEvents(message, ctx) {
      const req = parseRequest(requests.streamEventsRequest, message);
      const binary = encodesBinary(ctx.requestHeader.get("content-type"));
      // Live events are one object per event for all followers, so their responses are built (and encoded) once, not per stream.
      const eventResponse = binary ? binaryEventResponse : plainEventResponse;
      const messageOf = (item: FollowItem) => (item.kind === "event" ? eventResponse(item.event) : keepalive(item.lastSeq));
      const items = followSessionEvents(store, hub, {
        sessionId: req.sessionId,
        afterSeq: req.afterSeq,
        itemId: req.itemId || undefined,
        live: true,
        keepaliveMs: config.server.keepaliveSeconds * 1000,
        signal: ctx.signal,
      });
      const writer = binary ? frameWriterOf(ctx) : undefined;
      if (!writer) return mapStream(items, messageOf);
      // Binary streams write the shared frames themselves; what Connect would compress (the client asked, and it is big) it still sends.
      const frameOf = (item: FollowItem) => {
        const frame = item.kind === "event" ? eventFrame(item.event) : responseFrame(keepalive(item.lastSeq));
        return writer.compressed && frame.length - FRAME_HEADER_BYTES >= COMPRESS_MIN_BYTES ? undefined : frame;
      };
      return framesBeneathConnect(items, { writer, frameOf, messageOf });
    },

    async appendEvents(message) {
      const req = parseRequest(requests.appendEventsRequest, message);
      const drafts = req.events.map((event) => ({ itemId: event.itemId || undefined, payload: event.payload }));
      return { events: await committedEvents(commit, store.appendEvents(req.sessionId, drafts)) };
    },

    async listEvents(message) {
      const req = parseRequest(requests.listEventsRequest, message);
      const session = await store.getSession(req.sessionId);
      if (!session) throw notFound("session", req.sessionId);
      const limit = pageLimit(req.pageSize || req.limit, 100);
      const afterSeq = req.pageToken ? decodeSeqToken(req.pageToken, req.sessionId) : req.afterSeq;
      const events = await store.listEvents({ sessionId: req.sessionId, afterSeq, limit: limit + 1, itemId: req.itemId || undefined });
      const page = events.slice(0, limit);
      const nextAfterSeq = page.at(-1)?.seq ?? afterSeq;
      const hasMore = events.length > limit;
      return { events: page, nextAfterSeq, hasMore, nextPageToken: hasMore ? encodeSeqToken(req.sessionId, nextAfterSeq) : "" };
    },
  };
}

function keepalive(lastSeq: bigint): StreamEventsResponse {
  return create(StreamEventsResponseSchema, {
    message: { case: "keepalive", value: { time: toTimestamp(Date.now()), lastSeq } },
  });
}
