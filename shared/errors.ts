import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { LeaseLostSchema, type LeaseLost } from "../gen/pushpals/v1/errors_pb.js";
import { ErrorCode } from "../gen/pushpals/v1/kinds_pb.js";

/**
 * Every domain error is a ConnectError with a closed code, made here so the
 * messages read alike everywhere: what is wrong, then what to do next.
 */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

export function notFound(kind: string, id: string): ConnectError {
  return new ConnectError(`${kind} ${id} not found; list ${kind}s to see the ids that exist`, Code.NotFound);
}

export function failedPrecondition(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}

/**
 * A lease that no longer holds its item: FailedPrecondition with a LeaseLost detail,
 * which is what every lease holder checks (other FailedPreconditions mean something else).
 */
export function leaseLostError(message: string, detail: MessageInitShape<typeof LeaseLostSchema>): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition, undefined, [{ desc: LeaseLostSchema, value: detail }]);
}

/** The LeaseLost detail of an error, if the call failed because its lease is gone. */
export function leaseLostDetail(error: unknown): LeaseLost | undefined {
  if (!(error instanceof ConnectError) || error.code !== Code.FailedPrecondition) return undefined;
  return error.findDetails(LeaseLostSchema)[0];
}

export function alreadyExists(message: string): ConnectError {
  return new ConnectError(message, Code.AlreadyExists);
}

export function unauthenticated(message: string): ConnectError {
  return new ConnectError(message, Code.Unauthenticated);
}

export function unavailable(message: string): ConnectError {
  return new ConnectError(message, Code.Unavailable);
}

export function isConnectCode(error: unknown, code: Code): boolean {
  return error instanceof ConnectError && error.code === code;
}

/**
 * The event enum for a Connect code. ErrorCode numbers its values as gRPC does, and
 * a value's name is the code's name in upper snake case; looked up by name so a
 * renumbering would show up as UNKNOWN instead of a wrong code.
 */
export function errorCodeOf(code: Code): ErrorCode {
  const name = Code[code]?.replace(/[A-Z]/g, (letter, at: number) => (at === 0 ? letter : `_${letter}`)).toUpperCase();
  const value = name === undefined ? undefined : (ErrorCode as unknown as Record<string, number | undefined>)[name];
  return value === undefined ? ErrorCode.UNKNOWN : value;
}

/** A readable message from anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof ConnectError) return error.rawMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}
