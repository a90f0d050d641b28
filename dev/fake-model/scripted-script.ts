import { readFile } from "node:fs/promises";
import { z } from "zod";

const toolCall = z.strictObject({
  id: z.string().optional(),
  type: z.literal("function").default("function"),
  function: z.strictObject({
    name: z.string().min(1),
    /** A JSON string as OpenAI sends it, or an object the server serialises. */
    arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).default("{}"),
  }),
});

const match = z
  .strictObject({
    /** Which text to test: the system prompt, the last user message, or (default) either. */
    role: z.enum(["system", "user"]).optional(),
    contains: z.string().min(1).optional(),
    regex: z
      .string()
      .min(1)
      .refine((source) => isRegex(source), "is not a valid JavaScript regular expression")
      .optional(),
    /** The request's `model`, exactly; lets one script serve roles configured with different models. */
    model: z.string().min(1).optional(),
  })
  .refine((m) => m.contains !== undefined || m.regex !== undefined || m.model !== undefined, "needs contains, regex or model");

/** One line of a script: one reply to one request. */
export const scriptedReplySchema = z
  .strictObject({
    content: z.string().optional(),
    tool_calls: z.array(toolCall).min(1).optional(),
    /** An HTTP error status (e.g. 429, 500) to exercise the client's retries. */
    status: z.number().int().min(400).max(599).optional(),
    /** The error message sent with `status`. */
    error: z.string().optional(),
    /** Waits this long before answering (an aborted request stops the wait). */
    delay_ms: z.number().int().min(0).max(600_000).optional(),
    match: match.optional(),
    usage: z.strictObject({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) }).optional(),
    finish_reason: z.enum(["stop", "length", "tool_calls", "content_filter"]).optional(),
    /**
     * Answers 400 to a request carrying `response_format` without using this reply up, so the
     * client's plain-JSON retry receives it: an endpoint without structured output, in one line.
     */
    reject_response_format: z.literal(true).optional(),
  })
  .refine((r) => r.content !== undefined || r.tool_calls !== undefined || r.status !== undefined, {
    message: "a reply needs content, tool_calls or status",
  })
  .refine((r) => r.status === undefined || (r.content === undefined && r.tool_calls === undefined), {
    message: "a reply with status is an error reply; leave out content and tool_calls",
  });

export type ScriptedReply = z.output<typeof scriptedReplySchema>;
export type ScriptedReplyInput = z.input<typeof scriptedReplySchema>;

/** A reply with the place it came from, for the request log and error messages. */
export interface ScriptLine {
  line: number;
  reply: ScriptedReply;
}

export class ScriptError extends Error {
  override name = "ScriptError";
}

/**
 * Parses a JSONL script: one JSON reply per line; blank lines and lines starting with `#`
 * are skipped (line numbers still count them). Every problem names the source and line.
 */
export function parseScript(text: string, source: string): ScriptLine[] {
  const lines: ScriptLine[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const trimmed = rawLine.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const line = index + 1;
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (error) {
      throw new ScriptError(`${source} line ${line}: not valid JSON (${(error as Error).message}); each line must be one JSON object`);
    }
    const parsed = scriptedReplySchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(reply)"}: ${i.message}`).join("; ");
      throw new ScriptError(`${source} line ${line}: ${problems}`);
    }
    lines.push({ line, reply: parsed.data });
  });
  return lines;
}

export async function loadScript(file: string): Promise<ScriptLine[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ScriptError(`cannot read the model script ${file}: ${(error as Error).message}; pass an existing .jsonl file`);
  }
  return parseScript(text, file);
}

/** Replies given in code; their "line" is their position, counted from 1. */
export function inlineScript(replies: readonly ScriptedReplyInput[]): ScriptLine[] {
  return parseScript(replies.map((r) => JSON.stringify(r)).join("\n"), "inline script");
}

function isRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
