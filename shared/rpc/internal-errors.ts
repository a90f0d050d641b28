import { randomBytes } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { observeStream } from "./stream-hooks.js";

/**
 * Every RPC error leaves the server as a ConnectError with a closed code. A
 * handler that throws anything else (a bug, a driver error) becomes Internal
 * with a message that is safe to show: no stack, no driver text, just an id to
 * find the full error (kept as `cause`) in the server log.
 */
export function hideInternalErrors(): Interceptor {
  return (next) => async (request) => {
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: observeStream(response.message, { onError: (error) => asConnectError(error, request.signal) }) };
    } catch (error) {
      throw asConnectError(error, request.signal);
    }
  };
}

export function asConnectError(error: unknown, signal: AbortSignal): ConnectError {
  if (error instanceof ConnectError) return error;
  // An abort error after the call's signal fired is the cancellation itself, not a fault.
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof ConnectError ? reason : new ConnectError("the call was cancelled", Code.Canceled, undefined, undefined, error);
  }
  const id = randomBytes(4).toString("hex");
  return new ConnectError(
    `internal error ${id}; the server log has the details under this id. Retry, and report it if it happens again`,
    Code.Internal,
    undefined,
    undefined,
    error,
  );
}

const PARSE_FAILURE = "parse binary: ";

/**
 * Connect-ES reports a request body that is not valid protobuf as Internal
 * ("parse binary: …"), as if the server were at fault; connect-go and grpc-go
 * say InvalidArgument. Handed the error while Connect aborts the call — which
 * all three protocol handlers do before they serialise the error — this turns
 * that one case into InvalidArgument naming the message the server expected.
 */
export function reclassifyUnparsableRequest(error: ConnectError, inputType: string): void {
  if (error.code !== Code.Internal || !error.rawMessage.startsWith(PARSE_FAILURE)) return;
  const detail = error.rawMessage.slice(PARSE_FAILURE.length);
  const rawMessage = `the request body is not a valid ${inputType} (${detail}); send that message, protobuf-encoded`;
  Object.defineProperties(error, {
    code: { value: Code.InvalidArgument },
    rawMessage: { value: rawMessage },
    message: { value: `[invalid_argument] ${rawMessage}` },
  });
}
