/**
 * A fake OpenAI-compatible server as protocols.md §4 describes it (vLLM / LM Studio / OpenAI):
 * `chat.completion` objects, `chat.completion.chunk` SSE with `stream_options.include_usage`
 * (last chunk has `choices: []` and the usage) ending in `data: [DONE]`, `/v1/models` with
 * vLLM's `max_model_len`, and both error shapes (`{"error":{…}}` and vLLM's older `{"object":"error",…}`).
 * `/v1/embeddings` answers `{object: "list", data: [{object: "embedding", embedding, index}], model,
 * usage}` for models marked `embedding` (vectors from embedding.ts; base64 on request), and
 * rejects as OpenAI does: a missing `input` (`'input' is a required property`), an empty string
 * or list (`'$.input' is invalid…`), an unknown model (404 model_not_found), a chat model (400).
 */
import type { ServerResponse } from "node:http";
import { fakeEmbedding, fakeEmbeddingTokens } from "./embedding.js";
import {
  applyEndpointRule,
  type FakeServer,
  type RecordedRequest,
  sendCutJson,
  sendJson,
  startFakeServer,
  startStream,
  waitUnlessGone,
  writePiece,
} from "./fake-server.js";
import {
  fakeTokenCount,
  interpretReply,
  type Rule,
  Script,
  type ScriptInit,
  type ScriptRequest,
  streamPieces,
  truncateWithReasoning,
} from "./script.js";

export interface FakeOpenAiModel {
  id: string;
  /** vLLM reports the served context length as `max_model_len`. */
  maxModelLen?: number;
  ownedBy?: string;
  /** An embedding model (served by /v1/embeddings only), with its dimensions (default 1536). */
  embedding?: boolean;
  dims?: number;
}

export interface FakeOpenAiOptions {
  /** When set, `Authorization: Bearer <apiKey>` is required. */
  apiKey?: string;
  models?: FakeOpenAiModel[];
  /** Answer `response_format: json_schema` with a 400, like servers without structured output. */
  rejectJsonSchema?: boolean;
  /** Reject `max_tokens` as OpenAI's reasoning models do (they want `max_completion_tokens`). */
  requireMaxCompletionTokens?: boolean;
  /** "vllm" uses the older `{"object":"error","message",…,"code":<int>}` shape. */
  errorShape?: "openai" | "vllm";
  /** Prefix of every route (default "/v1"). */
  basePath?: string;
  /**
   * Where a reply's reasoning goes: `reasoning_content` (vLLM, llama.cpp with a reasoning parser,
   * DeepSeek; the default), `reasoning` (OpenRouter, LM Studio, Ollama's /v1), or inline
   * `<think>…</think>` in `content` (a server without a reasoning parser).
   */
  reasoningField?: "reasoning_content" | "reasoning" | "inline";
  port?: number;
}

export interface FakeOpenAi extends FakeServer {
  models: FakeOpenAiModel[];
  /** The base URL clients should use, including the /v1 prefix. */
  baseUrl: string;
}

export function defaultOpenAiModels(): FakeOpenAiModel[] {
  return [
    { id: "qwen2.5-coder-7b-instruct", maxModelLen: 32768, ownedBy: "vllm" },
    { id: "gpt-5.4-mini", ownedBy: "openai" },
  ];
}

const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "invalid_request_error",
  403: "permission_error",
  404: "invalid_request_error",
  429: "rate_limit_error",
  500: "server_error",
  503: "server_error",
};

/** An error body in the OpenAI shape or vLLM's older one. */
export function openAiErrorBody(
  status: number,
  message: string,
  code: string | null = null,
  shape: "openai" | "vllm" = "openai",
  param: string | null = null,
): Record<string, unknown> {
  const type = errorTypes[status] ?? (status >= 500 ? "server_error" : "invalid_request_error");
  if (shape === "vllm")
    return {
      object: "error",
      message,
      type: type === "invalid_request_error" ? "BadRequestError" : type,
      param,
      code: status,
    };
  return { error: { message, type, param, code } };
}

type MessageContent = string | Array<{ type?: string; text?: string }> | undefined;

interface ChatBody {
  model?: string;
  messages?: Array<{ role?: string; content?: MessageContent }>;
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type?: string };
}

function contentText(content: MessageContent): string {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((part) => part.text ?? "").join("");
}

function scriptRequest(request: RecordedRequest): ScriptRequest {
  const body = (request.body ?? {}) as ChatBody;
  const messages = body.messages ?? [];
  const textOf = (roles: string[]): string =>
    messages
      .filter((message) => roles.includes(message.role ?? ""))
      .map((message) => contentText(message.content))
      .join("\n");
  return {
    path: request.path,
    model: body.model,
    system: textOf(["system", "developer"]),
    user: textOf(["user"]),
    stream: body.stream === true,
    body: request.body,
    headers: request.headers,
  };
}

let counter = 0;

export async function startFakeOpenAI(
  script?: Script | ScriptInit | Rule[] | string,
  options: FakeOpenAiOptions = {},
): Promise<FakeOpenAi> {
  const models = options.models ?? defaultOpenAiModels();
  const basePath = options.basePath ?? "/v1";
  const shape = options.errorShape ?? "openai";
  const resolvedScript = Script.from(script);
  const fail = (
    response: ServerResponse,
    status: number,
    message: string,
    code: string | null = null,
    param: string | null = null,
  ) => sendJson(response, status, openAiErrorBody(status, message, code, shape, param));

  const serveChat = async (request: RecordedRequest, response: ServerResponse, scriptReq: ScriptRequest) => {
    const body = (request.body ?? {}) as ChatBody;
    if (!body.model) return fail(response, 400, "you must provide a model parameter", null, "model");
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      return fail(response, 400, "messages: must be a non-empty array", null, "messages");
    if (!models.some((model) => model.id === body.model)) {
      return fail(
        response,
        404,
        `The model \`${body.model}\` does not exist or you do not have access to it.`,
        "model_not_found",
      );
    }
    if (options.requireMaxCompletionTokens && body.max_tokens !== undefined) {
      return fail(
        response,
        400,
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        "unsupported_parameter",
        "max_tokens",
      );
    }
    if (options.rejectJsonSchema && body.response_format?.type === "json_schema") {
      return fail(
        response,
        400,
        "response_format.type 'json_schema' is not supported by this server",
        null,
        "response_format",
      );
    }
    const resolved = resolvedScript.resolve(scriptReq, true);
    if (!resolved || !(await waitUnlessGone(response, resolved.delayMs))) return;
    const action = interpretReply(resolved.reply);
    if (action.kind === "hang") return;
    if (action.kind === "fault") {
      return sendJson(
        response,
        action.status,
        action.body ?? openAiErrorBody(action.status, `fake fault ${action.status}`, null, shape),
        action.headers,
      );
    }
    const cut = truncateWithReasoning(
      action.options.reasoning ?? "",
      action.text,
      body.max_completion_tokens ?? body.max_tokens,
    );
    const reasoningField = options.reasoningField ?? "reasoning_content";
    const hasReasoning = action.options.reasoning !== undefined;
    const text =
      hasReasoning && reasoningField === "inline"
        ? `<think>\n${cut.reasoning}\n</think>\n\n${cut.text}`
        : cut.text;
    const reasoningText = hasReasoning && reasoningField !== "inline" ? cut.reasoning : "";
    const reasoningPart = (value: string) =>
      hasReasoning && reasoningField !== "inline" ? { [reasoningField]: value } : {};
    const truncated = cut.truncated;
    const override = action.options.usage ?? {};
    const cached = override.cacheReadTokens ?? 0;
    const written = override.cacheWriteTokens ?? 0;
    const derivedPrompt = fakeTokenCount(`${scriptReq.system}${scriptReq.user}`) + 4 * body.messages.length;
    const promptTokens =
      override.inputTokens !== undefined
        ? override.inputTokens + cached + written
        : Math.max(derivedPrompt, cached + written);
    const completionTokens = override.outputTokens ?? fakeTokenCount(text) + fakeTokenCount(reasoningText);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: {
        cached_tokens: cached,
        ...(written ? { cache_write_tokens: written } : {}),
        audio_tokens: 0,
      },
      completion_tokens_details: {
        reasoning_tokens: hasReasoning ? fakeTokenCount(cut.reasoning) : 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    };
    const finishReason = action.options.finishReason === "length" || truncated ? "length" : "stop";
    counter += 1;
    const id = `chatcmpl-fake${counter}`;
    const created = 1_700_000_000 + counter;
    const model = action.options.modelId ?? body.model;

    if (!scriptReq.stream) {
      const completion = {
        id,
        object: "chat.completion",
        created,
        model,
        system_fingerprint: "fp_fake",
        service_tier: "default",
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: text,
              ...reasoningPart(reasoningText),
              refusal: null,
              tool_calls: [],
            },
            finish_reason: finishReason,
            logprobs: null,
          },
        ],
        usage,
      };
      if (action.cut) return sendCutJson(response, completion);
      if (action.streamError) return fail(response, 500, action.streamError.message);
      return sendJson(response, 200, completion);
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_fake", choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
    startStream(response, "text/event-stream; charset=utf-8");
    if (
      !(await writePiece(
        response,
        chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
      ))
    )
      return;
    for (const piece of streamPieces(reasoningText)) {
      if (
        !(await writePiece(response, chunk([{ index: 0, delta: reasoningPart(piece), finish_reason: null }])))
      )
        return;
    }
    const pieces = streamPieces(text);
    const interrupted = action.cut || action.streamError !== undefined;
    const count = interrupted ? Math.max(1, Math.ceil(pieces.length / 2)) : pieces.length;
    for (const piece of pieces.slice(0, count)) {
      if (
        !(await writePiece(response, chunk([{ index: 0, delta: { content: piece }, finish_reason: null }])))
      )
        return;
    }
    if (action.cut) return void response.destroy();
    if (action.streamError) {
      return void response.end(
        `data: ${JSON.stringify(openAiErrorBody(500, action.streamError.message, action.streamError.type ?? null))}\n\n`,
      );
    }
    await writePiece(response, chunk([{ index: 0, delta: {}, finish_reason: finishReason }]));
    if (includeUsage) await writePiece(response, chunk([], { usage }));
    response.end("data: [DONE]\n\n");
  };

  const serveModels = (response: ServerResponse) =>
    sendJson(response, 200, {
      object: "list",
      data: models.map((model) => ({
        id: model.id,
        object: "model",
        created: 1_700_000_000,
        owned_by: model.ownedBy ?? "organization-owner",
        ...(model.maxModelLen !== undefined
          ? { root: model.id, parent: null, max_model_len: model.maxModelLen, permission: [] }
          : {}),
      })),
    });

  const serveEmbeddings = (request: RecordedRequest, response: ServerResponse) => {
    const body = (request.body ?? {}) as { model?: unknown; input?: unknown; encoding_format?: unknown };
    if (typeof body.model !== "string" || body.model === "")
      return fail(response, 400, "you must provide a model parameter", null, "model");
    if (body.input === undefined) return fail(response, 400, "'input' is a required property");
    const invalid = () =>
      fail(
        response,
        400,
        "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
      );
    const input = typeof body.input === "string" ? [body.input] : body.input;
    if (
      !Array.isArray(input) ||
      input.length === 0 ||
      !input.every((item) => typeof item === "string" && item !== "")
    )
      return invalid();
    const model = models.find((entry) => entry.id === body.model);
    if (!model)
      return fail(
        response,
        404,
        `The model \`${body.model}\` does not exist or you do not have access to it.`,
        "model_not_found",
      );
    if (!model.embedding)
      return fail(response, 400, `The model \`${body.model}\` does not support embeddings.`, null, "model");
    const base64 = body.encoding_format === "base64";
    const tokens = fakeEmbeddingTokens(input as string[]);
    return sendJson(response, 200, {
      object: "list",
      data: (input as string[]).map((text, index) => {
        const vector = fakeEmbedding(text, model.dims ?? 1536);
        return {
          object: "embedding",
          index,
          embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector,
        };
      }),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  const server = await startFakeServer(
    resolvedScript,
    async (request, response) => {
      if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
        return fail(
          response,
          401,
          request.headers.authorization ? "Incorrect API key provided." : "You didn't provide an API key.",
          "invalid_api_key",
        );
      }
      const scriptReq = scriptRequest(request);
      if (request.path === `${basePath}/chat/completions` && request.method === "POST")
        return serveChat(request, response, scriptReq);
      const faultBody = (status: number) => openAiErrorBody(status, "fake fault", null, shape);
      if (await applyEndpointRule(resolvedScript, scriptReq, response, faultBody)) return;
      if (request.path === `${basePath}/models` && request.method === "GET") return serveModels(response);
      if (request.path === `${basePath}/embeddings` && request.method === "POST")
        return serveEmbeddings(request, response);
      return fail(response, 404, `Unknown request URL: ${request.method} ${request.path}`, "unknown_url");
    },
    options.port,
  );
  return { ...server, models, baseUrl: `${server.url}${basePath}` };
}
