import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { reclassifyUnparsableRequest } from "./internal-errors.js";

/** Codes that mean the caller asked for something wrong: worth a warning, not an alarm. */
const CALLER_CODES = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unauthenticated,
  Code.ResourceExhausted,
  Code.Unimplemented,
]);

/**
 * Watches one call and logs how it failed, once, whatever failed it: the auth
 * gate, a body that is too big or does not parse, the handler, or the deadline.
 * Connect aborts a call's context with the error that ended it (and with a plain
 * AbortError when it ended well), so this signal sees every outcome, including
 * the ones that happen before any interceptor runs — which also makes it the
 * place to correct the code of an unparsable request before it is sent.
 *
 * Cancellations are the caller's choice and go unlogged; so do the reasons in
 * `expected` (the server's own shutdown, which close() reports as a whole).
 */
export function watchCallOutcome(context: HandlerContext, logger: Logger, expected: ReadonlySet<unknown>): void {
  const rpc = `${context.service.typeName}/${context.method.name}`;
  context.signal.addEventListener(
    "abort",
    () => {
      const reason: unknown = context.signal.reason;
      if (expected.has(reason)) return;
      if (!(reason instanceof ConnectError)) {
        if (reason instanceof Error && reason.name === "AbortError") return;
        logger.error({ rpc, code: codeToString(Code.Internal), err: reason }, errorMessage(reason));
        return;
      }
      reclassifyUnparsableRequest(reason, context.method.input.typeName);
      if (reason.code === Code.Canceled || reason.code === Code.Aborted) return;
      const fields = { rpc, code: codeToString(reason.code), ...(reason.cause === undefined ? {} : { err: reason.cause }) };
      if (CALLER_CODES.has(reason.code)) logger.warn(fields, reason.rawMessage);
      else logger.error(fields, reason.rawMessage);
    },
    { once: true },
  );
}
