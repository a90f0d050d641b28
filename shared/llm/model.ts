import type { z } from "zod";
import type { Logger } from "../log.js";

/** Who is asking; each role may use its own endpoint and model (see config `[llm.<role>]`). */
export type ModelRole = "chat" | "planner" | "agent";
export const MODEL_ROLES: readonly ModelRole[] = ["chat", "planner", "agent"];

export interface ModelMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** What one reply cost; callers record it as a TokenUsage event for the job and session. */
export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
}

/** "length" means the reply was cut off at maxTokens; "unknown" covers endpoints that say nothing. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "unknown";

export interface CallOptions {
  /** Cancels the call at once, including any backoff wait between retries. */
  signal: AbortSignal;
  maxTokens?: number;
  temperature?: number;
  /** A child logger carrying the caller's job and session ids. */
  logger?: Logger;
}

export interface JsonCallOptions extends CallOptions {
  /** Names the schema in `response_format` and in error messages, e.g. "plan". */
  schemaName: string;
}

export interface ModelReply {
  text: string;
  usage: TokenCounts;
  finishReason: FinishReason;
}

/**
 * A JSON reply: `value` when the reply parsed and matched the schema, otherwise `error`
 * says what was wrong in words fit to send back to the model for one repair attempt.
 */
export interface JsonReply<T> {
  value?: T;
  raw: string;
  error?: string;
  /** Every request this call made, summed (a rejected structured-output attempt included). */
  usage: TokenCounts;
}

export type StreamEvent = { type: "text"; text: string } | { type: "done"; reply: ModelReply };

/** The small structural interface the planner and the agent loop depend on. */
export interface Model {
  readonly role: ModelRole;
  readonly model: string;
  complete(messages: readonly ModelMessage[], options: CallOptions): Promise<ModelReply>;
  completeJson<T>(messages: readonly ModelMessage[], schema: z.ZodType<T>, options: JsonCallOptions): Promise<JsonReply<T>>;
  /** Text as it arrives, then one "done" event with the whole reply and its usage. */
  stream(messages: readonly ModelMessage[], options: CallOptions): AsyncIterable<StreamEvent>;
}
