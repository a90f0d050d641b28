import { Code, ConnectError } from "@connectrpc/connect";
import type { z } from "zod";

export { boundedString, duration, enumValue, id, pageSize } from "./proto-fields.js";

const MAX_LISTED_PROBLEMS = 20;

/**
 * Validates a request at the boundary. Every problem zod finds goes into ONE
 * InvalidArgument error, each named by its proto field path in snake_case
 * (`payload.task_execute_v2.instruction: …`, `globs[2]: …`), so a caller can fix
 * them all in one go. Handlers trust the returned value from then on.
 */
export function parseRequest<T>(schema: z.ZodType<T>, message: unknown): T {
  const result = schema.safeParse(message);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${protoFieldPath(issue.path, message)}: ${issue.message}`);
  const shown = problems.slice(0, MAX_LISTED_PROBLEMS);
  if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`);
  return badRequest(shown.join("; "));
}

function badRequest(message: string): never {
  throw new ConnectError(message, Code.InvalidArgument);
}

/**
 * Turns a zod issue path over a protobuf-es message into the field path a
 * person reads in the .proto file. protobuf-es holds a oneof as
 * `{ case: "taskExecuteV2", value }`, so `payload.value` becomes
 * `payload.task_execute_v2`; list indexes become `[i]`; keys of a map field
 * (plain objects inside a message) become `["key"]`.
 */
export function protoFieldPath(path: readonly PropertyKey[], root: unknown): string {
  const walkingMessages = isMessage(root);
  let node: unknown = root;
  let out = "";
  for (const key of path) {
    if (typeof key === "number") {
      out += `[${key}]`;
      node = child(node, key);
      continue;
    }
    const name = String(key);
    if (isOneofHolder(node)) {
      // The issue is about which case is set: the oneof's own name already says where.
      if (name === "case") continue;
      if (name === "value" && typeof node.case === "string") {
        out += (out ? "." : "") + snakeCase(node.case);
        node = node.value;
        continue;
      }
    }
    const isMapKey = walkingMessages && node !== null && typeof node === "object" && !isMessage(node) && !Array.isArray(node);
    out += isMapKey ? `[${JSON.stringify(name)}]` : (out ? "." : "") + snakeCase(name);
    node = child(node, name);
  }
  return out || "request";
}

/** protobuf-es field names are the proto names in lowerCamelCase (a reserved word gets a `$`). */
export function snakeCase(localName: string): string {
  return localName.replace(/\$$/, "").replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function isMessage(value: unknown): boolean {
  return value !== null && typeof value === "object" && "$typeName" in value;
}

function isOneofHolder(value: unknown): value is { case: unknown; value: unknown } {
  return value !== null && typeof value === "object" && !isMessage(value) && "case" in value;
}

function child(node: unknown, key: string | number): unknown {
  return node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[key] : undefined;
}
