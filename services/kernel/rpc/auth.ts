import { createHash, timingSafeEqual } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { unauthenticated } from "../errors.js";

/** The setting a person changes to give the server its token; named in every refusal. */
export const AUTH_TOKEN_VARIABLE = "PUSHPALS_AUTH_TOKEN";

const OPEN_PACKAGES = ["grpc.health.", "grpc.reflection."];

/**
 * Health and reflection are open, and so is every method the contract marks
 * `idempotency_level = NO_SIDE_EFFECTS`: reading never needs the token. Anything
 * else may change state, so it does.
 */
export function needsToken(method: DescMethod): boolean {
  if (OPEN_PACKAGES.some((prefix) => method.parent.typeName.startsWith(prefix))) return false;
  return method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
}

/** Checks `authorization: Bearer <token>` on state-changing calls before their body is read. */
export function checkBearerToken(token: string): (context: HandlerContext) => void {
  const expected = digest(token);
  return (context) => {
    if (!needsToken(context.method)) return;
    const rpc = `${context.service.typeName}/${context.method.name}`;
    const header = context.requestHeader.get("authorization");
    const given = header ? /^Bearer\s+(\S.*)$/i.exec(header.trim())?.[1] : undefined;
    if (given === undefined) {
      throw unauthenticated(
        `${rpc} changes state and needs the header "authorization: Bearer <token>", with the token the server was started with (${AUTH_TOKEN_VARIABLE})`,
      );
    }
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    if (!timingSafeEqual(digest(given), expected)) {
      throw unauthenticated(`the bearer token sent to ${rpc} is not the server's; use the value of ${AUTH_TOKEN_VARIABLE} the server was started with`);
    }
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
