/**
 * A fake Anthropic Messages API as protocols.md §3 describes it: `x-api-key` (or Bearer) and
 * `anthropic-version` required, JSON or SSE answers with the full event sequence, usage with
 * cache fields (a `cache_control` prefix of ≥1024 tokens is written once, then read), the
 * typed error body with a request id, `/v1/models` and `/v1/messages/count_tokens`.
 */
import type { ServerResponse } from "node:http";
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

export interface FakeAnthropicModel {
  id: string;
  displayName?: string;
  maxInputTokens?: number;
}

export interface FakeAnthropicOptions {
  /** When set, only this key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  models?: FakeAnthropicModel[];
  port?: number;
}

export interface FakeAnthropic extends FakeServer {
  models: FakeAnthropicModel[];
}

const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  409: "invalid_request_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  503: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

let requestCounter = 0;

/** The error body the real API sends: `{"type":"error","error":{type,message},"request_id"}`. */
export function anthropicErrorBody(status: number, message?: string, type?: string): Record<string, unknown> {
  requestCounter += 1;
  const errorType = type ?? errorTypes[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  return {
    type: "error",
    error: {
      type: errorType,
      message: message ?? (errorType === "overloaded_error" ? "Overloaded" : `fake ${errorType}`),
    },
    request_id: `req_fake${requestCounter.toString().padStart(6, "0")}`,
  };
}

export function defaultAnthropicModels(): FakeAnthropicModel[] {
  return [
    { id: "claude-sonnet-4-6", displayName: "Claude Sonnet 4.6", maxInputTokens: 200_000 },
    { id: "claude-opus-4-8", displayName: "Claude Opus 4.8", maxInputTokens: 200_000 },
    { id: "claude-haiku-4-5-20251001", displayName: "Claude Haiku 4.5", maxInputTokens: 200_000 },
  ];
}

type Block = { type?: string; text?: string; cache_control?: unknown };
interface MessagesBody {
  model?: string;
  max_tokens?: number;
  system?: string | Block[];
  messages?: Array<{ role?: string; content?: string | Block[] }>;
  stream?: boolean;
  temperature?: number;
  /** Extended thinking: only a request that enables it gets `thinking` blocks. */
  thinking?: { type?: string; budget_tokens?: number };
}

function blockText(content: string | Block[] | undefined): string {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((block) => block.text ?? "").join("\n");
}

function scriptRequest(request: RecordedRequest): ScriptRequest {
  const body = (request.body ?? {}) as MessagesBody;
  return {
    path: request.path,
    model: body.model,
    system: blockText(body.system),
    user: (body.messages ?? [])
      .filter((message) => message.role === "user")
      .map((message) => blockText(message.content))
      .join("\n"),
    stream: body.stream === true,
    body: request.body,
    headers: request.headers,
  };
}

/** Text of the system blocks up to and including the last one marked cache_control. */
function cachedPrefix(system: MessagesBody["system"]): string | undefined {
  if (!Array.isArray(system)) return undefined;
  const lastMarked = system.findLastIndex((block) => block.cache_control !== undefined);
  return lastMarked === -1 ? undefined : blockText(system.slice(0, lastMarked + 1));
}

function sse(event: string, data: Record<string, unknown>): string {
  return `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
}

export async function startFakeAnthropic(
  script?: Script | ScriptInit | Rule[] | string,
  options: FakeAnthropicOptions = {},
): Promise<FakeAnthropic> {
  const models = options.models ?? defaultAnthropicModels();
  const resolvedScript = Script.from(script);
  const cache = new Set<string>();
  const error = (
    response: ServerResponse,
    status: number,
    message?: string,
    headers: Record<string, string> = {},
  ) => {
    const body = anthropicErrorBody(status, message);
    sendJson(response, status, body, { "request-id": String(body.request_id), ...headers });
  };
  const modelJson = (model: FakeAnthropicModel) => ({
    type: "model",
    id: model.id,
    display_name: model.displayName ?? model.id,
    created_at: "2026-02-17T00:00:00Z",
    ...(model.maxInputTokens ? { max_input_tokens: model.maxInputTokens } : {}),
  });

  const serveMessages = async (
    request: RecordedRequest,
    response: ServerResponse,
    scriptReq: ScriptRequest,
  ) => {
    const body = (request.body ?? {}) as MessagesBody;
    if (!body.model) return error(response, 400, "model: Field required");
    if (body.max_tokens === undefined) return error(response, 400, "max_tokens: Field required");
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      return error(response, 400, "messages: at least one message is required");
    if (body.temperature !== undefined && (request.headers["anthropic-version"] ?? "") >= "2026-10-21") {
      return error(response, 400, "temperature: Extra inputs are not permitted");
    }
    if (!models.some((model) => model.id === body.model)) return error(response, 404, `model: ${body.model}`);

    const resolved = resolvedScript.resolve(scriptReq, true);
    if (!resolved || !(await waitUnlessGone(response, resolved.delayMs))) return;
    const action = interpretReply(resolved.reply);
    if (action.kind === "hang") return;
    if (action.kind === "fault") {
      const faultBody = (action.body ?? anthropicErrorBody(action.status)) as Record<string, unknown>;
      return sendJson(response, action.status, faultBody, {
        "request-id": String(faultBody.request_id ?? "req_fake"),
        ...action.headers,
      });
    }
    const thinkingOn = body.thinking?.type === "enabled" || body.thinking?.type === "adaptive";
    const cut = truncateWithReasoning(
      thinkingOn ? (action.options.reasoning ?? "") : "",
      action.text,
      body.max_tokens,
    );
    const { text, truncated } = cut;
    const thinking = thinkingOn && action.options.reasoning !== undefined ? cut.reasoning : "";
    const promptTokens = fakeTokenCount(
      `${scriptReq.system}${blockText(body.messages.flatMap((message) => (typeof message.content === "string" ? [{ text: message.content }] : (message.content ?? []))))}`,
    );
    const prefix = cachedPrefix(body.system);
    const prefixTokens = prefix ? fakeTokenCount(prefix) : 0;
    let cacheRead = 0;
    let cacheWrite = 0;
    if (prefix && prefixTokens >= 1024) {
      const key = `${body.model}\n${prefix}`;
      if (cache.has(key)) cacheRead = prefixTokens;
      else {
        cacheWrite = prefixTokens;
        cache.add(key);
      }
    }
    const override = action.options.usage ?? {};
    const usage = {
      input_tokens: override.inputTokens ?? Math.max(1, promptTokens - cacheRead - cacheWrite),
      output_tokens: override.outputTokens ?? fakeTokenCount(text) + fakeTokenCount(thinking),
      cache_creation_input_tokens: override.cacheWriteTokens ?? cacheWrite,
      cache_read_input_tokens: override.cacheReadTokens ?? cacheRead,
      cache_creation: {
        ephemeral_5m_input_tokens: override.cacheWriteTokens ?? cacheWrite,
        ephemeral_1h_input_tokens: 0,
      },
      output_tokens_details: { thinking_tokens: fakeTokenCount(thinking) },
      server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
      service_tier: "standard",
      inference_geo: null,
      speed: "standard",
    };
    const stopReason = action.options.finishReason === "length" || truncated ? "max_tokens" : "end_turn";
    requestCounter += 1;
    const message = {
      id: `msg_fake${requestCounter.toString().padStart(6, "0")}`,
      type: "message",
      role: "assistant",
      model: action.options.modelId ?? body.model,
      content: [
        ...(thinking ? [{ type: "thinking", thinking, signature: "fake-signature" }] : []),
        { type: "text", text, citations: null },
      ],
      stop_reason: stopReason,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage,
    };
    const headers = { "request-id": `req_fake${requestCounter.toString().padStart(6, "0")}` };

    if (!scriptReq.stream) {
      if (action.cut) return sendCutJson(response, message);
      if (action.streamError) return error(response, 529, action.streamError.message);
      return sendJson(response, 200, message, headers);
    }
    startStream(response, "text/event-stream; charset=utf-8");
    const start = { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } };
    if (!(await writePiece(response, sse("message_start", { message: start })))) return;
    const textIndex = thinking ? 1 : 0;
    if (thinking) {
      await writePiece(
        response,
        sse("content_block_start", { index: 0, content_block: { type: "thinking", thinking: "" } }),
      );
      for (const piece of streamPieces(thinking))
        await writePiece(
          response,
          sse("content_block_delta", { index: 0, delta: { type: "thinking_delta", thinking: piece } }),
        );
      await writePiece(response, sse("content_block_stop", { index: 0 }));
    }
    await writePiece(
      response,
      sse("content_block_start", { index: textIndex, content_block: { type: "text", text: "" } }),
    );
    await writePiece(response, sse("ping", {}));
    const pieces = streamPieces(text);
    const interrupted = action.cut || action.streamError !== undefined;
    const count = interrupted ? Math.max(1, Math.ceil(pieces.length / 2)) : pieces.length;
    for (const piece of pieces.slice(0, count)) {
      if (
        !(await writePiece(
          response,
          sse("content_block_delta", { index: textIndex, delta: { type: "text_delta", text: piece } }),
        ))
      )
        return;
    }
    if (action.cut) return void response.destroy();
    if (action.streamError) {
      const errorBody = anthropicErrorBody(
        529,
        action.streamError.message,
        action.streamError.type ?? "overloaded_error",
      );
      return void response.end(`event: error\ndata: ${JSON.stringify(errorBody)}\n\n`);
    }
    await writePiece(response, sse("content_block_stop", { index: textIndex }));
    await writePiece(
      response,
      sse("message_delta", {
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: {
          input_tokens: usage.input_tokens,
          output_tokens: usage.output_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
        },
      }),
    );
    response.end(sse("message_stop", {}));
  };

  const serveOther = (request: RecordedRequest, response: ServerResponse) => {
    if (request.path === "/v1/models" && request.method === "GET") {
      const limit = Number.parseInt(request.query.limit ?? "20", 10);
      const afterIndex = request.query.after_id
        ? models.findIndex((model) => model.id === request.query.after_id) + 1
        : 0;
      const page = models.slice(afterIndex, afterIndex + limit);
      return sendJson(response, 200, {
        data: page.map(modelJson),
        has_more: afterIndex + limit < models.length,
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
      });
    }
    const single = /^\/v1\/models\/(.+)$/.exec(request.path);
    if (single && request.method === "GET") {
      const model = models.find((entry) => entry.id === decodeURIComponent(single[1] ?? ""));
      return model ? sendJson(response, 200, modelJson(model)) : error(response, 404, `model: ${single[1]}`);
    }
    if (request.path === "/v1/messages/count_tokens" && request.method === "POST") {
      const body = (request.body ?? {}) as MessagesBody;
      if (!body.model || !models.some((model) => model.id === body.model))
        return error(response, 404, `model: ${body.model}`);
      const scriptReq = scriptRequest(request);
      return sendJson(response, 200, {
        input_tokens:
          fakeTokenCount(`${scriptReq.system}${scriptReq.user}`) + 3 * (body.messages?.length ?? 0),
      });
    }
    return error(response, 404, `Not found: ${request.method} ${request.path}`);
  };

  const server = await startFakeServer(
    resolvedScript,
    async (request, response) => {
      const key = request.headers["x-api-key"] ?? request.headers.authorization?.replace(/^Bearer\s+/i, "");
      if (!key) return error(response, 401, "x-api-key header is required");
      if (options.apiKey !== undefined && key !== options.apiKey)
        return error(response, 401, "invalid x-api-key");
      if (!request.headers["anthropic-version"])
        return error(response, 400, "anthropic-version: header is required");
      const scriptReq = scriptRequest(request);
      if (request.path === "/v1/messages" && request.method === "POST")
        return serveMessages(request, response, scriptReq);
      if (
        await applyEndpointRule(resolvedScript, scriptReq, response, (status) => anthropicErrorBody(status))
      )
        return;
      serveOther(request, response);
    },
    options.port,
  );
  return { ...server, models };
}
