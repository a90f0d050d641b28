import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { StreamEventsResponseSchema, type StreamEventsResponse } from "../../gen/pushpals/v1/sessions_pb.js";

/*
 * A live event reaches every follower of its session as the same Event object (the
 * hub hands one object to all of them). Encoding it once per stream was most of the
 * control plane's time at scale (issue 17), so each event's response is built once
 * and shared: for binary streams with the event already encoded, carried as the
 * response's one unknown field. protobuf-es writes unknown fields back verbatim, so
 * Connect's per-stream serialisation of it is a tag and a copy, and the bytes on the
 * wire are exactly those of the event field set the ordinary way.
 */

const EVENT_FIELD = StreamEventsResponseSchema.field.event.number;

const binaryResponses = new WeakMap<Event, StreamEventsResponse>();
const eventFrames = new WeakMap<Event, Uint8Array>();
const plainResponses = new WeakMap<Event, StreamEventsResponse>();

/**
 * The event's StreamEventsResponse for a stream that encodes protobuf binary: shared by
 * every stream that sends this event object. Not for JSON streams — JSON drops unknown
 * fields, so the event would be missing there; use plainEventResponse.
 */
export function binaryEventResponse(event: Event): StreamEventsResponse {
  let response = binaryResponses.get(event);
  if (response === undefined) {
    response = create(StreamEventsResponseSchema);
    // What fromBinary keeps for an unknown length-delimited field: the length, then the bytes.
    const data = new BinaryWriter().bytes(toBinary(EventSchema, event)).finish();
    response.$unknown = [{ no: EVENT_FIELD, wireType: WireType.LengthDelimited, data }];
    binaryResponses.set(event, response);
  }
  return response;
}

/**
 * The event's StreamEventsResponse as the envelope every binary protocol (gRPC, gRPC-Web,
 * Connect streaming) puts on the wire for an uncompressed message: flags 0, the length,
 * the encoded response. Built once per event object and shared by every stream that
 * writes it beneath Connect (shared/rpc/frames-beneath-connect.ts).
 */
export function eventFrame(event: Event): Uint8Array {
  let frame = eventFrames.get(event);
  if (frame === undefined) {
    frame = responseFrame(binaryEventResponse(event));
    eventFrames.set(event, frame);
  }
  return frame;
}

/** Any StreamEventsResponse as an uncompressed envelope (a keep-alive, say), exactly as Connect would envelope it. */
export function responseFrame(response: StreamEventsResponse): Uint8Array {
  return encodeEnvelope(0, toBinary(StreamEventsResponseSchema, response));
}

/** The envelope's header before the message: a flags byte and a 4-byte length. */
export const FRAME_HEADER_BYTES = 5;

/** The event's StreamEventsResponse as an ordinary message (any encoding), shared by every stream that sends this event object. */
export function plainEventResponse(event: Event): StreamEventsResponse {
  let response = plainResponses.get(event);
  if (response === undefined) {
    response = create(StreamEventsResponseSchema, { message: { case: "event", value: event } });
    plainResponses.set(event, response);
  }
  return response;
}

const BINARY_CONTENT_TYPE = /^application\/(grpc|grpc-web|connect)(\+proto)?\s*(;|$)/i;

/** Whether a call with this request content type gets its responses protobuf-encoded (gRPC, gRPC-Web and Connect streaming; not their +json forms). */
export function encodesBinary(contentType: string | null): boolean {
  return contentType !== null && BINARY_CONTENT_TYPE.test(contentType);
}
