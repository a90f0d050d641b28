import { createHash, timingSafeEqual } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { unauthenticated } from "../errors.js";

/** The setting a person changes to give the server its token; named in every refusal. */
export const AUTH_TOKEN_VARIABLE = "PUSHPALS_AUTH_TOKEN";

/** Shorter tokens are refused at start-up: a guessable token is no protection for a reachable port. */
export const MIN_TOKEN_CHARS = 16;

export interface TokenRules {
  /** Server reflection answers without the token (it describes the contracts, no data). */
  openReflection: boolean;
}

const HEALTH_PACKAGE = "grpc.health.";
const REFLECTION_PACKAGE = "grpc.reflection.";

/**
 * With a token set, every call needs it — reads too: sessions, events, job logs, plans and diffs
 * hold a person's private code. Only grpc.health.v1 stays open (probes carry no token), and
 * reflection when the operator leaves it open.
 */
export function needsToken(method: DescMethod, rules: TokenRules): boolean {
  const typeName = method.parent.typeName;
  if (typeName.startsWith(HEALTH_PACKAGE)) return false;
  if (typeName.startsWith(REFLECTION_PACKAGE)) return !rules.openReflection;
  return true;
}

/** Why a token cannot be used, or undefined when it can ("" means no token at all). */
export function tokenProblem(token: string): string | undefined {
  if (token === "") return undefined;
  if (/\s/.test(token)) return "contains white space; use a token of letters, digits and punctuation only (e.g. openssl rand -hex 32)";
  if (token.length < MIN_TOKEN_CHARS) return `is ${token.length} characters long; use at least ${MIN_TOKEN_CHARS} (e.g. openssl rand -hex 32)`;
  return undefined;
}

/** Checks `authorization: Bearer <token>` on every call that needs it, before its body is read. */
export function checkBearerToken(token: string, rules: TokenRules): (context: HandlerContext) => void {
  const expected = digest(token);
  return (context) => {
    if (!needsToken(context.method, rules)) return;
    const rpc = `${context.service.typeName}/${context.method.name}`;
    const header = context.requestHeader.get("authorization");
    const given = header ? /^Bearer\s+(\S.*)$/i.exec(header.trim())?.[1] : undefined;
    if (given === undefined) {
      throw unauthenticated(
        `${rpc} needs the header "authorization: Bearer <token>", with the token the server was started with (${AUTH_TOKEN_VARIABLE}); every call but health checks needs it`,
      );
    }
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (!timingSafeEqual(digest(given), expected)) {
      throw unauthenticated(`the bearer token sent to ${rpc} is not the server's; use the value of ${AUTH_TOKEN_VARIABLE} the server was started with`);
    }
  };
}

/** Whether an `authorization` header carries `token` as a bearer token (constant-time), for the plain-HTTP paths beside the RPCs. */
export function carriesToken(header: string | undefined, token: string): boolean {
  const given = header ? /^Bearer\s+(\S.*)$/i.exec(header.trim())?.[1] : undefined;
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
