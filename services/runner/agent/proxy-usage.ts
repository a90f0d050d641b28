import type { TokenCounts } from "../../../shared/llm/model.js";

/** Chat completions say prompt/completion tokens; the Responses API says input/output tokens. */
function countsOf(usage: unknown): TokenCounts | undefined {
  if (typeof usage !== "object" || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  const prompt = u.prompt_tokens ?? u.input_tokens;
  const completion = u.completion_tokens ?? u.output_tokens;
  if (typeof prompt !== "number" && typeof completion !== "number") return undefined;
  return { promptTokens: typeof prompt === "number" ? prompt : 0, completionTokens: typeof completion === "number" ? completion : 0 };
}

/** The usage of a reply body: top-level `usage`, or `response.usage` in a Responses API event. */
function usageOfValue(value: unknown): TokenCounts | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const response = v.response as Record<string, unknown> | undefined;
  return countsOf(v.usage) ?? countsOf(response?.usage);
}

export function usageFromJson(text: string): TokenCounts | undefined {
  try {
    return usageOfValue(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The last usage in some `data: {...}` lines of a server-sent event stream. */
export function usageFromSse(lines: readonly string[]): TokenCounts | undefined {
  let usage: TokenCounts | undefined;
  for (const line of lines) {
    const data = /^data:\s*(\{.*\})\s*$/.exec(line)?.[1];
    if (data) usage = usageFromJson(data) ?? usage;
  }
  return usage;
}
