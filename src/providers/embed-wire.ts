/**
 * Embedding endpoints' wire shapes, checked before use:
 * - Ollama `POST /api/embed` {model, input: string | string[], truncate?, keep_alive?, options?} →
 *   {model, embeddings: number[][], total_duration, load_duration, prompt_eval_count}; vectors
 *   are L2-normalized by the server (ollama server/routes.go EmbedHandler, docs/api.md).
 * - OpenAI-compatible `POST /v1/embeddings` {model, input: string | string[], encoding_format?} →
 *   {object: "list", data: [{object: "embedding", embedding: number[], index}], model,
 *   usage: {prompt_tokens, total_tokens}} (platform.openai.com/docs/api-reference/embeddings).
 */
import { ProviderError } from "../errors.js";
import type { EmbedResult } from "./spec.js";

function wrongShape(provider: string, what: string): ProviderError {
  return new ProviderError("server", `${provider}: the embedding answer is malformed (${what})`, {
    provider,
    retryable: false,
  });
}

function checkVector(provider: string, value: unknown, index: number, dims: number | undefined): number[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((x) => typeof x === "number" && Number.isFinite(x))
  )
    throw wrongShape(provider, `vector ${index} is not a list of numbers`);
  if (dims !== undefined && value.length !== dims)
    throw wrongShape(provider, `vector ${index} has ${value.length} dimensions, the first had ${dims}`);
  return value as number[];
}

/** Checks an Ollama /api/embed answer for `count` inputs. Errors: ProviderError "server". */
export function parseOllamaEmbed(provider: string, json: unknown, count: number): EmbedResult {
  const body = json as { embeddings?: unknown; prompt_eval_count?: unknown };
  if (!Array.isArray(body.embeddings)) throw wrongShape(provider, "no `embeddings` list");
  if (body.embeddings.length !== count)
    throw wrongShape(provider, `${body.embeddings.length} vectors for ${count} inputs`);
  const vectors: number[][] = [];
  for (const [index, value] of body.embeddings.entries())
    vectors.push(checkVector(provider, value, index, vectors[0]?.length));
  return {
    vectors,
    inputTokens: typeof body.prompt_eval_count === "number" ? body.prompt_eval_count : 0,
  };
}

/** Checks an OpenAI-compatible /embeddings answer for `count` inputs (ordered by `index`). */
export function parseOpenAiEmbed(provider: string, json: unknown, count: number): EmbedResult {
  const body = json as { data?: unknown; usage?: { prompt_tokens?: unknown } };
  if (!Array.isArray(body.data)) throw wrongShape(provider, "no `data` list");
  if (body.data.length !== count)
    throw wrongShape(provider, `${body.data.length} vectors for ${count} inputs`);
  const slots: Array<number[] | undefined> = new Array(count).fill(undefined);
  let dims: number | undefined;
  for (const [position, item] of body.data.entries()) {
    const entry = item as { embedding?: unknown; index?: unknown };
    const index = typeof entry.index === "number" ? entry.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= count || slots[index] !== undefined)
      throw wrongShape(provider, `bad or repeated index ${String(entry.index)}`);
    if (typeof entry.embedding === "string")
      throw wrongShape(provider, "base64 vectors (the request asks for encoding_format float)");
    const vector = checkVector(provider, entry.embedding, index, dims);
    dims = vector.length;
    slots[index] = vector;
  }
  return {
    vectors: slots as number[][],
    inputTokens: typeof body.usage?.prompt_tokens === "number" ? body.usage.prompt_tokens : 0,
  };
}
