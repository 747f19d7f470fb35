/**
 * A fake Ollama server speaking the native REST API as protocols.md §2 describes it: NDJSON
 * streaming on by default (when `stream` is absent), nanosecond durations, optional metrics,
 * `/api/tags`, `/api/show`, `/api/ps`, `/api/version`, and 404 `model 'x' not found` for
 * models that are not in its pulled list. Replies come from a Script. `/api/embed` answers as
 * Ollama's EmbedHandler does (server/routes.go): one L2-normalized vector per input (see
 * embedding.ts), an empty list for a missing or empty input, 400 `invalid input type`, 404
 * `model "x" not found, try pulling it first`, 501 for a model without the `embedding` capability,
 * and 400 when `truncate: false` meets an input longer than the model's context.
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
  type AnswerOptions,
  fakeTokenCount,
  interpretReply,
  type Rule,
  Script,
  type ScriptInit,
  type ScriptRequest,
  streamPieces,
  truncateWithReasoning,
} from "./script.js";

export interface FakeOllamaModel {
  name: string;
  family?: string;
  /** `general.architecture`; the context length key is `<architecture>.context_length`. */
  architecture?: string;
  parameterSize?: string;
  parameterCount?: number;
  quantization?: string;
  contextLength?: number;
  sizeBytes?: number;
  capabilities?: string[];
  /** Embedding dimensions of a model with the `embedding` capability (default 768). */
  dims?: number;
}

export interface FakeOllamaOptions {
  /** Pulled models (default: qwen2.5-coder:7b and llama3.2:latest). */
  models?: FakeOllamaModel[];
  version?: string;
  /** Context the server allocates when a request sends no num_ctx (Ollama's VRAM-based default). */
  defaultContextLength?: number;
  port?: number;
}

export interface FakeOllama extends FakeServer {
  /** The pulled models; mutate to "pull" or "remove" models during a test. */
  models: FakeOllamaModel[];
  /**
   * Runner bookkeeping as Ollama's scheduler does it (server/sched.go `needsReload`): one runner
   * per model; a request whose `num_ctx` differs from the loaded runner's reloads it. `num_ctx`
   * above the model's window is clamped to it (and counted in `clamped`), as Ollama does.
   */
  runners: { loads: number; reloads: number; clamped: number; numCtxSeen: Map<string, number[]> };
  /** Pretends a runner is already loaded with this context (a previous run's), as /api/ps reports it. */
  preload(model: string, numCtx: number): void;
}

/** An embedding model as `ollama pull nomic-embed-text` gives it (768 dimensions, 2048-token context). */
export function nomicEmbedModel(): FakeOllamaModel {
  return {
    name: "nomic-embed-text:latest",
    family: "nomic-bert",
    architecture: "nomic-bert",
    parameterSize: "137M",
    parameterCount: 136_727_040,
    quantization: "F16",
    contextLength: 2048,
    sizeBytes: 274_302_450,
    capabilities: ["embedding"],
    dims: 768,
  };
}

export function defaultOllamaModels(): FakeOllamaModel[] {
  return [
    {
      name: "qwen2.5-coder:7b",
      family: "qwen2",
      architecture: "qwen2",
      parameterSize: "7.6B",
      parameterCount: 7_615_616_512,
      quantization: "Q4_K_M",
      contextLength: 32768,
      sizeBytes: 4_683_087_332,
    },
    {
      name: "llama3.2:latest",
      family: "llama",
      architecture: "llama",
      parameterSize: "3.2B",
      parameterCount: 3_212_749_888,
      quantization: "Q4_K_M",
      contextLength: 131072,
      sizeBytes: 2_019_393_189,
    },
  ];
}

const generationPaths = ["/api/chat", "/api/generate"];

function withLatest(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1).includes(":") ? name : `${name}:latest`;
}

interface ChatBody {
  model?: string;
  messages?: Array<{ role?: string; content?: string }>;
  prompt?: string;
  system?: string;
  stream?: boolean;
  options?: { num_ctx?: number; num_predict?: number };
  keep_alive?: string | number;
  think?: boolean | string;
}

function scriptRequest(request: RecordedRequest): ScriptRequest {
  const body = (request.body ?? {}) as ChatBody;
  const messages = body.messages ?? [];
  const textOf = (role: string): string =>
    messages
      .filter((message) => message.role === role)
      .map((message) => message.content ?? "")
      .join("\n");
  return {
    path: request.path,
    model: body.model,
    system: [body.system, textOf("system")].filter(Boolean).join("\n"),
    user: [body.prompt, textOf("user")].filter(Boolean).join("\n"),
    stream: body.stream !== false,
    body: request.body,
    headers: request.headers,
  };
}

function modifiedAt(): string {
  return "2026-11-01T10:00:00.000000000Z";
}

export async function startFakeOllama(
  script?: Script | ScriptInit | Rule[] | string,
  options: FakeOllamaOptions = {},
): Promise<FakeOllama> {
  const models = options.models ?? defaultOllamaModels();
  const loaded = new Map<string, number>();
  const runners = { loads: 0, reloads: 0, clamped: 0, numCtxSeen: new Map<string, number[]>() };
  const resolvedScript = Script.from(script);
  const find = (name: unknown): FakeOllamaModel | undefined =>
    typeof name === "string"
      ? models.find((model) => withLatest(model.name) === withLatest(name))
      : undefined;
  const details = (model: FakeOllamaModel) => ({
    parent_model: "",
    format: "gguf",
    family: model.family ?? "llama",
    families: [model.family ?? "llama"],
    parameter_size: model.parameterSize ?? "7B",
    quantization_level: model.quantization ?? "Q4_K_M",
  });
  const notFound = (response: ServerResponse, name: string) =>
    sendJson(response, 404, { error: `model '${name}' not found` });

  const serveMetadata = (request: RecordedRequest, response: ServerResponse) => {
    const body = (request.body ?? {}) as { model?: string; name?: string };
    if (request.path === "/" || request.path === "") return sendJson(response, 200, "Ollama is running");
    if (request.path === "/api/version")
      return sendJson(response, 200, { version: options.version ?? "0.13.0" });
    if (request.path === "/api/tags") {
      return sendJson(response, 200, {
        models: models.map((model) => ({
          name: withLatest(model.name),
          model: withLatest(model.name),
          modified_at: modifiedAt(),
          size: model.sizeBytes ?? 4_000_000_000,
          digest: `sha256:${Buffer.from(model.name).toString("hex").padEnd(64, "0").slice(0, 64)}`,
          details: details(model),
        })),
      });
    }
    if (request.path === "/api/show" && request.method === "POST") {
      const name = body.model ?? body.name;
      if (!name) return sendJson(response, 400, { error: "model is required" });
      const model = find(name);
      if (!model) return notFound(response, name);
      const architecture = model.architecture ?? model.family ?? "llama";
      return sendJson(response, 200, {
        license: "",
        modelfile: `FROM ${model.name}\n`,
        parameters: 'num_keep 24\nstop "<|im_end|>"',
        template: "{{ .Prompt }}",
        details: details(model),
        model_info: {
          "general.architecture": architecture,
          "general.parameter_count": model.parameterCount ?? 7_000_000_000,
          [`${architecture}.context_length`]: model.contextLength ?? 8192,
          [`${architecture}.embedding_length`]: 4096,
        },
        capabilities: model.capabilities ?? ["completion"],
        modified_at: modifiedAt(),
      });
    }
    if (request.path === "/api/ps") {
      return sendJson(response, 200, {
        models: [...loaded.entries()].map(([name, contextLength]) => {
          const model = find(name);
          return {
            name: withLatest(name),
            model: withLatest(name),
            size: model?.sizeBytes ?? 4_000_000_000,
            digest: "sha256:0",
            details: model ? details(model) : {},
            expires_at: "2026-11-21T12:40:00.000000000Z",
            size_vram: model?.sizeBytes ?? 4_000_000_000,
            context_length: contextLength,
          };
        }),
      });
    }
    return sendJson(response, 404, "404 page not found");
  };

  const serveGeneration = async (
    request: RecordedRequest,
    response: ServerResponse,
    scriptReq: ScriptRequest,
  ): Promise<void> => {
    if (request.rawBody.length === 0) return sendJson(response, 400, { error: "missing request body" });
    const body = (request.body ?? {}) as ChatBody;
    if (!body.model) return sendJson(response, 400, { error: "model is required" });
    const model = find(body.model);
    if (!model) return notFound(response, body.model);
    const isChat = request.path === "/api/chat";
    const requestedCtx = body.options?.num_ctx ?? options.defaultContextLength ?? 4096;
    const window = model.contextLength ?? 8192;
    if (requestedCtx > window) runners.clamped += 1;
    const numCtx = Math.min(requestedCtx, window);
    runners.numCtxSeen.set(model.name, [...(runners.numCtxSeen.get(model.name) ?? []), requestedCtx]);
    if (body.keep_alive === 0 || body.keep_alive === "0") loaded.delete(model.name);
    else {
      const current = loaded.get(model.name);
      if (current === undefined) runners.loads += 1;
      else if (current !== numCtx) runners.reloads += 1;
      loaded.set(model.name, numCtx);
    }

    if (isChat && Array.isArray(body.messages) && body.messages.length === 0) {
      // An empty conversation only loads (or, with keep_alive 0, unloads) the model.
      const unload = body.keep_alive === 0 || body.keep_alive === "0";
      const reply = {
        model: withLatest(body.model),
        created_at: new Date().toISOString(),
        message: { role: "assistant", content: "" },
        done: true,
        done_reason: unload ? "unload" : "load",
      };
      return sendJson(response, 200, reply);
    }

    const resolved = resolvedScript.resolve(scriptReq, true);
    if (!resolved) return;
    if (!(await waitUnlessGone(response, resolved.delayMs))) return;
    const action = interpretReply(resolved.reply);
    if (action.kind === "hang") return;
    if (action.kind === "fault") {
      return sendJson(
        response,
        action.status,
        action.body ?? { error: `fake fault ${action.status}` },
        action.headers,
      );
    }
    const answerOptions: AnswerOptions = action.options;
    const isCut = action.cut;
    const streamError = action.streamError?.message;
    // Reasoning: a thinking-capable model returns it in `thinking` unless `think: false` turns it off;
    // `think` for a model without the capability is a 400, and such a model shows it inline.
    const thinks = (model.capabilities ?? []).includes("thinking");
    if (body.think !== undefined && body.think !== false && !thinks)
      return sendJson(response, 400, { error: `"${body.model}" does not support thinking` });
    const wantsReasoning = answerOptions.reasoning !== undefined && body.think !== false;
    const cut = truncateWithReasoning(
      wantsReasoning ? (answerOptions.reasoning ?? "") : "",
      action.text,
      body.options?.num_predict,
    );
    const separate = wantsReasoning && thinks;
    const inline = wantsReasoning && !thinks;
    const text = inline ? `<think>\n${cut.reasoning}\n</think>\n\n${cut.text}` : cut.text;
    const thinking = separate ? cut.reasoning : "";
    const truncated = cut.truncated;
    const promptTokens =
      fakeTokenCount(`${scriptReq.system}${scriptReq.user}`) + 10 * (body.messages?.length ?? 1);
    const inputTokens = answerOptions.usage?.inputTokens ?? Math.min(promptTokens, numCtx);
    const outputTokens = answerOptions.usage?.outputTokens ?? fakeTokenCount(text) + fakeTokenCount(thinking);
    const doneReason = answerOptions.finishReason ?? (truncated ? "length" : "stop");
    const modelId = answerOptions.modelId ?? withLatest(body.model);
    const createdAt = new Date().toISOString();
    const content = (piece: string, thought = "") =>
      isChat
        ? { message: { role: "assistant", content: piece, ...(thought ? { thinking: thought } : {}) } }
        : { response: piece, ...(thought ? { thinking: thought } : {}) };
    const final = {
      model: modelId,
      created_at: createdAt,
      ...content(""),
      done: true,
      done_reason: doneReason,
      ...(answerOptions.omitUsage
        ? {}
        : {
            total_duration: 5_191_566_416,
            load_duration: 2_154_458,
            prompt_eval_count: inputTokens,
            prompt_eval_duration: 383_809_000,
            eval_count: outputTokens,
            eval_duration: 4_799_921_000,
          }),
    };

    if (!scriptReq.stream) {
      const whole = { ...final, ...content(text, thinking) };
      if (isCut) return sendCutJson(response, whole);
      if (streamError !== undefined) return sendJson(response, 500, { error: streamError });
      return sendJson(response, 200, whole);
    }
    startStream(response, "application/x-ndjson");
    for (const piece of streamPieces(thinking)) {
      const line = `${JSON.stringify({ model: modelId, created_at: createdAt, ...content("", piece), done: false })}\n`;
      if (!(await writePiece(response, line))) return;
    }
    const pieces = streamPieces(text);
    const sendCount =
      isCut || streamError !== undefined ? Math.max(1, Math.ceil(pieces.length / 2)) : pieces.length;
    for (const piece of pieces.slice(0, sendCount)) {
      const line = `${JSON.stringify({ model: modelId, created_at: createdAt, ...content(piece), done: false })}\n`;
      if (!(await writePiece(response, line))) return;
    }
    if (isCut) return void response.destroy();
    if (streamError !== undefined) return void response.end(`${JSON.stringify({ error: streamError })}\n`);
    response.end(`${JSON.stringify(final)}\n`);
  };

  const serveEmbed = (request: RecordedRequest, response: ServerResponse) => {
    if (request.rawBody.length === 0) return sendJson(response, 400, { error: "missing request body" });
    if (request.body === undefined || request.body === null || typeof request.body !== "object")
      return sendJson(response, 400, { error: "invalid character in request body" });
    const body = request.body as { model?: unknown; input?: unknown; truncate?: unknown };
    let input: string[];
    if (typeof body.input === "string") input = body.input.length > 0 ? [body.input] : [];
    else if (Array.isArray(body.input)) {
      if (!body.input.every((item) => typeof item === "string"))
        return sendJson(response, 400, { error: "invalid input type" });
      input = body.input as string[];
    } else if (body.input === undefined || body.input === null) input = [];
    else return sendJson(response, 400, { error: "invalid input type" });
    const name = typeof body.model === "string" ? body.model : "";
    const model = find(name);
    if (!model) return sendJson(response, 404, { error: `model "${name}" not found, try pulling it first` });
    if (!(model.capabilities ?? []).includes("embedding"))
      return sendJson(response, 501, { error: "This server does not support embeddings." });
    if (input.length === 0) return sendJson(response, 200, { model: name, embeddings: [] });
    const window = model.contextLength ?? 2048;
    if (body.truncate === false && input.some((text) => fakeEmbeddingTokens([text]) > window))
      return sendJson(response, 400, { error: "input length exceeds maximum context length" });
    const dims = model.dims ?? 768;
    return sendJson(response, 200, {
      model: name,
      embeddings: input.map((text) => fakeEmbedding(text, dims)),
      total_duration: 14_143_917,
      load_duration: 1_019_500,
      prompt_eval_count: input.reduce((sum, text) => sum + Math.min(window, fakeEmbeddingTokens([text])), 0),
    });
  };

  const server = await startFakeServer(
    resolvedScript,
    async (request, response) => {
      const scriptReq = scriptRequest(request);
      const isGeneration = generationPaths.includes(request.path) && request.method === "POST";
      if (isGeneration) return serveGeneration(request, response, scriptReq);
      const faultBody = (status: number) => ({ error: `fake fault ${status}` });
      if (await applyEndpointRule(resolvedScript, scriptReq, response, faultBody)) return;
      if (request.path === "/api/embed" && request.method === "POST") return serveEmbed(request, response);
      serveMetadata(request, response);
    },
    options.port,
  );
  return {
    ...server,
    models,
    runners,
    preload: (name: string, numCtx: number) => {
      loaded.set(find(name)?.name ?? name, numCtx);
    },
  };
}
