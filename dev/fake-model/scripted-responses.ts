import type { ScriptedReply } from "./scripted-script.js";

/** Bodies in the shapes OpenAI's /v1/chat/completions sends, built from one script reply. */
export interface ReplyContext {
  id: string;
  created: number;
  model: string;
  /** All message text of the request, for a usage estimate when the script gives none. */
  promptText: string;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function completionBody(reply: ScriptedReply, context: ReplyContext): Record<string, unknown> {
  const toolCalls = toolCallsOf(reply, context.id);
  return {
    id: context.id,
    object: "chat.completion",
    created: context.created,
    model: context.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: reply.content ?? null, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: finishReason(reply),
      },
    ],
    usage: usageOf(reply, context.promptText),
  };
}

/** The `data:` payloads of a streamed reply: role, content word by word, tool calls, finish, usage. */
export function streamChunks(reply: ScriptedReply, context: ReplyContext, includeUsage: boolean): Record<string, unknown>[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: context.id,
    object: "chat.completion.chunk",
    created: context.created,
    model: context.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const chunks = [chunk({ role: "assistant", content: "" })];
  for (const piece of reply.content?.match(/\S+\s*|\s+/g) ?? []) chunks.push(chunk({ content: piece }));
  (toolCallsOf(reply, context.id) ?? []).forEach((call, index) => chunks.push(chunk({ tool_calls: [{ index, ...call }] })));
  chunks.push(chunk({}, finishReason(reply)));
  if (!includeUsage) return chunks;
  return [...chunks, { id: context.id, object: "chat.completion.chunk", created: context.created, model: context.model, choices: [], usage: usageOf(reply, context.promptText) }];
}

export function errorBody(message: string, type: string, param: string | null = null): Record<string, unknown> {
  return { error: { message, type, param, code: null } };
}

function toolCallsOf(reply: ScriptedReply, id: string) {
  return reply.tool_calls?.map((call, index) => ({
    id: call.id ?? `call_${id}_${index}`,
    type: call.type,
    function: {
      name: call.function.name,
      arguments: typeof call.function.arguments === "string" ? call.function.arguments : JSON.stringify(call.function.arguments),
    },
  }));
}

function finishReason(reply: ScriptedReply): string {
  return reply.finish_reason ?? (reply.tool_calls ? "tool_calls" : "stop");
}

/** The script's numbers, else about four characters a token, so the demo still shows usage. */
function usageOf(reply: ScriptedReply, promptText: string): Usage {
  const completionText = (reply.content ?? "") + (reply.tool_calls ? JSON.stringify(reply.tool_calls) : "");
  const prompt = reply.usage?.prompt_tokens ?? Math.ceil(promptText.length / 4);
  const completion = reply.usage?.completion_tokens ?? Math.ceil(completionText.length / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
