import { Code, ConnectError } from "@connectrpc/connect";
import { CliFailure, EXIT } from "./exit-codes.js";

/** Network errors that mean "nothing answered at that address", as opposed to a server that answered with an error. */
const UNREACHABLE_CAUSES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "ETIMEDOUT", "EPIPE"]);

export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof ConnectError) || error.code !== Code.Unavailable) return false;
  const cause = error.cause;
  const code = cause && typeof cause === "object" && "code" in cause ? String(cause.code) : "";
  return UNREACHABLE_CAUSES.has(code) || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|socket hang up/.test(error.rawMessage);
}

export function unreachableFailure(url: string): CliFailure {
  return new CliFailure(
    `cannot reach the PushPals server at ${url}: start it with \`pushpals up\` in your repository, ` + "or point at a running one with --server URL or PUSHPALS_SERVER_URL",
    EXIT.unreachable,
  );
}

/** What a person should read for an RPC error: the server's own message plus what to do when it is not obvious. */
export function rpcFailure(error: unknown, url: string): CliFailure | undefined {
  if (isUnreachable(error)) return unreachableFailure(url);
  if (!(error instanceof ConnectError)) return undefined;
  switch (error.code) {
    case Code.Unauthenticated:
      return new CliFailure(`${error.rawMessage} (set PUSHPALS_AUTH_TOKEN to the server's token)`);
    case Code.DeadlineExceeded:
      return new CliFailure(`the server at ${url} did not answer in time; check that it is healthy (\`pushpals status\`) and try again`);
    case Code.Unimplemented:
      return new CliFailure(`${error.rawMessage} (the server at ${url} does not run this service; is it an older version, or started without it?)`);
    default:
      return new CliFailure(error.rawMessage);
  }
}
