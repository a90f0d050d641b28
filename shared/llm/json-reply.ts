import { z } from "zod";
import { extractJson } from "./json-extract.js";
import type { FinishReason, JsonReply, TokenCounts } from "./model.js";

/**
 * Validates a reply against the caller's schema. Problems come back as `error` text written
 * for the model to read in a repair prompt, not thrown.
 */
export function readJsonReply<T>(raw: string, schema: z.ZodType<T>, schemaName: string, finishReason: FinishReason, usage: TokenCounts): JsonReply<T> {
  const cutOff = finishReason === "length" ? " The reply was cut off at the token limit; answer more briefly." : "";
  const extracted = extractJson(raw);
  if (!extracted.ok) {
    return { raw, usage, error: `${extracted.error}. Reply with one JSON object matching the ${schemaName} schema.${cutOff}` };
  }
  const parsed = schema.safeParse(extracted.value);
  if (!parsed.success) {
    return {
      raw,
      usage,
      error: `the reply's JSON does not match the ${schemaName} schema:\n${z.prettifyError(parsed.error)}${cutOff}`,
    };
  }
  return { raw, usage, value: parsed.data };
}

/** The JSON Schema sent as `response_format`; it describes what the schema accepts (its input side). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: "draft-7", io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
