import { Code, ConnectError } from "@connectrpc/connect";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import type { z } from "zod";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import { jsonSchemaOf, readJsonReply } from "./json-reply.js";
import { toModelError } from "./model-errors.js";
import type { CallOptions, FinishReason, JsonCallOptions, JsonReply, Model, ModelMessage, ModelReply, ModelRole, StreamEvent, TokenCounts } from "./model.js";
import { observedClient, openaiFor } from "./openai-for-endpoint.js";
import { describeEndpoint, endpointProblem, resolveRoleEndpoint } from "./role-endpoint.js";
import { rejectOnAbort } from "./reject-on-abort.js";
import { modelTokens } from "../telemetry/metrics.js";

type ResponseFormat = ChatCompletionCreateParamsNonStreaming["response_format"];

/**
 * The model for one role, over any OpenAI-compatible endpoint. An unconfigured role still
 * yields a client: each call then fails at once with FailedPrecondition naming the variable
 * to set, so a service can start and tell the person what is missing.
 */
export function createModelClient(config: Config["llm"], role: ModelRole, logger: Logger): Model {
  const endpoint = resolveRoleEndpoint(config, role);
  const problem = endpointProblem(endpoint);
  const log = logger.child({ component: "model-client", role, model: endpoint.model });
  const client = problem ? undefined : openaiFor(endpoint, log);
  // Learned from the endpoint: once a plain request succeeds after a rejected response_format,
  // later calls skip straight to plain JSON.
  let structuredOutput: "untried" | "accepted" | "rejected" = "untried";

  // The caller's logger carries its job and session ids (and its own component); ours adds the role and model.
  const callLogger = (options: CallOptions) => (options.logger ? options.logger.child({ role, model: endpoint.model }) : log);

  function open(options: CallOptions) {
    if (!client) throw problem;
    const callLog = callLogger(options);
    const counter = { attempts: 0 };
    return { callLog, counter, openai: observedClient(client, endpoint, callLog, counter, options.signal) };
  }

  async function request(messages: readonly ModelMessage[], options: CallOptions, responseFormat?: ResponseFormat): Promise<ModelReply> {
    const { callLog, counter, openai } = open(options);
    const started = Date.now();
    let completion: ChatCompletion;
    try {
      completion = await rejectOnAbort(
        openai.chat.completions.create(
          { model: endpoint.model, messages: [...messages], ...sampling(options), ...(responseFormat ? { response_format: responseFormat } : {}) },
          { signal: options.signal },
        ),
        options.signal,
      );
    } catch (error) {
      throw toModelError(error, endpoint, counter.attempts, options.signal);
    }
    const choice = completion.choices?.[0];
    if (!choice) {
      throw new ConnectError(`model endpoint ${describeEndpoint(endpoint)} answered without any choices; check that it serves OpenAI-compatible /chat/completions`, Code.Internal);
    }
    const reply = { text: choice.message.content ?? "", usage: usageOf(completion.usage), finishReason: finishOf(choice.finish_reason) };
    countTokens(role, reply.usage);
    callLog.info({ durationMs: Date.now() - started, attempts: counter.attempts, ...reply.usage, finishReason: reply.finishReason }, "model replied");
    return reply;
  }

  return {
    role,
    model: endpoint.model,

    complete: (messages, options) => request(messages, options),

    async completeJson<T>(messages: readonly ModelMessage[], schema: z.ZodType<T>, options: JsonCallOptions): Promise<JsonReply<T>> {
      const { schemaName } = options;
      if (structuredOutput !== "rejected") {
        const format: ResponseFormat = {
          type: "json_schema",
          json_schema: { name: formatName(schemaName), schema: jsonSchemaOf(schema), strict: false },
        };
        try {
          const reply = await request(messages, options, format);
          structuredOutput = "accepted";
          return readJsonReply(reply.text, schema, schemaName, reply.finishReason, reply.usage);
        } catch (error) {
          if (structuredOutput === "accepted" || !(error instanceof ConnectError) || error.code !== Code.InvalidArgument) throw error;
          callLogger(options).warn({ err: error.rawMessage }, "model endpoint rejected response_format json_schema; asking for plain JSON instead");
        }
      }
      const reply = await request(messages, options);
      if (structuredOutput === "untried") structuredOutput = "rejected";
      return readJsonReply(reply.text, schema, schemaName, reply.finishReason, reply.usage);
    },

    async *stream(messages: readonly ModelMessage[], options: CallOptions): AsyncIterable<StreamEvent> {
      const { callLog, counter, openai } = open(options);
      const started = Date.now();
      let text = "";
      let usage: TokenCounts = { promptTokens: 0, completionTokens: 0 };
      let finishReason: FinishReason = "unknown";
      try {
        const chunks = await rejectOnAbort(
          openai.chat.completions.create(
            { model: endpoint.model, messages: [...messages], ...sampling(options), stream: true, stream_options: { include_usage: true } },
            { signal: options.signal },
          ),
          options.signal,
        );
        for await (const chunk of chunks) {
          if (chunk.usage) usage = usageOf(chunk.usage);
          const choice = chunk.choices[0];
          if (choice?.finish_reason) finishReason = finishOf(choice.finish_reason);
          const delta = choice?.delta.content;
          if (delta) {
            text += delta;
            yield { type: "text", text: delta };
          }
        }
      } catch (error) {
        throw toModelError(error, endpoint, counter.attempts, options.signal);
      }
      countTokens(role, usage);
      callLog.info({ durationMs: Date.now() - started, attempts: counter.attempts, ...usage, finishReason }, "model replied (streamed)");
      yield { type: "done", reply: { text, usage, finishReason } };
    },
  };
}

function countTokens(role: ModelRole, usage: TokenCounts): void {
  modelTokens.inc({ role, kind: "prompt" }, usage.promptTokens);
  modelTokens.inc({ role, kind: "completion" }, usage.completionTokens);
}

function sampling(options: CallOptions): { max_tokens?: number; temperature?: number } {
  return {
    // max_tokens rather than max_completion_tokens: it is the one vLLM, Ollama and LM Studio all accept.
    ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
  };
}

function usageOf(usage: { prompt_tokens: number; completion_tokens: number } | null | undefined): TokenCounts {
  return { promptTokens: usage?.prompt_tokens ?? 0, completionTokens: usage?.completion_tokens ?? 0 };
}

function finishOf(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case "stop":
    case "length":
    case "tool_calls":
    case "content_filter":
      return reason;
    case "function_call":
      return "tool_calls";
    default:
      return "unknown";
  }
}

/** OpenAI accepts `^[a-zA-Z0-9_-]{1,64}$` as a response_format name. */
function formatName(schemaName: string): string {
  return schemaName.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "reply";
}
