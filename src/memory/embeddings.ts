/**
 * Memory retrieval by embeddings, when `memory.embeddings: {provider, model}` names an Ollama,
 * LM Studio or OpenAI-compatible provider and its embedding model. Each note's vector is kept in
 * `memory_vectors` of `memory.db` (Float32 little-endian, with the `provider/model` that made it;
 * a note whose vector came from another model is embedded again). A query is embedded, compared
 * with the notes in scope by cosine similarity, and the ranking is fused with FTS5's BM25
 * ranking by reciprocal rank fusion (Cormack, Clarke & Büttcher 2009: score = Σ 1 / (60 + rank)).
 * When the embedding server fails, the caller gets FTS5 alone and one warning line.
 */
import type { HierocodeConfig } from "../config/schema.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { Provider } from "../providers/spec.js";
import { type Database, ensureSchema } from "../store/database.js";
import { type MemoryNote, openMemory, type ScoredNote, searchNotes } from "./store.js";

type Env = Record<string, string | undefined>;

const ddl = `
CREATE TABLE IF NOT EXISTS memory_vectors (
  note_id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  dims INTEGER NOT NULL,
  vector BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS memory_vectors_ad AFTER DELETE ON memory_notes BEGIN
  DELETE FROM memory_vectors WHERE note_id = old.id;
END;
`;

/** The RRF constant k (the value of Cormack et al., used by most hybrid search engines). */
export const rrfK = 60;
/** Notes embedded per request. */
const batchSize = 64;
/** Notes in scope compared by embeddings (the newest ones). */
const maxCompared = 2000;

export interface EmbeddingSettings {
  provider: string;
  model: string;
  min_similarity: number;
}

/** Embeds texts with the configured model: one vector per text, in order. */
export interface Embedder {
  /** `provider/model`: what is stored beside each vector. */
  key: string;
  /** True when the provider runs on the user's machine (embedding there costs nothing). */
  local: boolean;
  /** The provider serving the model (doctor lists its models for a remote one). */
  provider: Provider;
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

/**
 * The embedder of `memory.embeddings`, or undefined when none is configured. Errors: UsageError
 * when the provider is not defined or is of a type without an embedding endpoint.
 */
export function embedderFor(
  config: Pick<HierocodeConfig, "memory" | "providers">,
  env: Env,
  runtime: Partial<ProviderRuntime> = {},
): Embedder | undefined {
  const settings = config.memory.embeddings;
  if (!settings) return undefined;
  const providerConfig = config.providers[settings.provider];
  if (!providerConfig) {
    throw new EmbeddingError(
      `memory.embeddings.provider '${settings.provider}' is not defined under providers`,
    );
  }
  if (!["ollama", "openai_compatible", "lmstudio"].includes(providerConfig.type)) {
    throw new EmbeddingError(
      `memory.embeddings.provider '${settings.provider}' is of type ${providerConfig.type}, which serves no embeddings (use ollama, lmstudio or openai_compatible)`,
    );
  }
  // One host (the first of a list): embeddings are one short call, no pool needed.
  const base = Array.isArray(providerConfig.base_url) ? providerConfig.base_url[0] : providerConfig.base_url;
  const provider: Provider = createProvider(
    settings.provider,
    { ...providerConfig, ...(base !== undefined ? { base_url: base } : {}) },
    { ...runtime, env },
  );
  const embed = provider.embed?.bind(provider);
  if (!embed) throw new EmbeddingError(`provider '${settings.provider}' cannot embed`);
  return {
    key: `${settings.provider}/${settings.model}`,
    local: provider.local,
    provider,
    async embed(texts, signal) {
      const out: number[][] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        const input = texts.slice(start, start + batchSize);
        // A hung embedding server must not hold up planning: each batch gets embedTimeoutMs, then
        // the search goes on with full-text search alone (the caller's warning says so).
        const timeout = AbortSignal.timeout(embedTimeoutMs);
        const result = await embed({
          model: settings.model,
          input,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        out.push(...result.vectors);
      }
      return out;
    },
  };
}

/**
 * How long one embedding request may take (ms) before retrieval falls back to FTS5: long enough
 * for Ollama to load a small embedding model cold, short enough not to stall a plan.
 */
export const embedTimeoutMs = 30_000;

/** A configuration problem of `memory.embeddings` (reported like a server failure: FTS5 goes on). */
export class EmbeddingError extends Error {}

function vectorsTable(database: Database): Database {
  ensureSchema(database, "memory_vectors", ddl);
  return database;
}

function toBlob(vector: number[]): Uint8Array {
  const array = new Float32Array(vector);
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function fromBlob(blob: Uint8Array, dims: number): Float32Array {
  // Copy: the blob's buffer may not be 4-byte aligned.
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer, 0, dims);
}

/** Cosine similarity of two vectors of equal length (0 when either is all zeros). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a[index] as number;
    const y = b[index] as number;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

/** The non-preference notes in scope (global and `project`'s, or all), newest first. */
function notesInScope(database: Database, project: string | undefined): MemoryNote[] {
  return database
    .prepare(
      `SELECT * FROM memory_notes WHERE kind != 'preference' AND (? OR project IS NULL OR project = ?)
       ORDER BY id DESC LIMIT ?`,
    )
    .all(project === undefined ? 1 : 0, project ?? null, maxCompared) as unknown as MemoryNote[];
}

/**
 * Embeds (and stores) the notes whose vector is missing or came from another model; returns
 * every note's vector by id. Errors: the embedder's (server) errors.
 */
export async function ensureVectors(
  database: Database,
  notes: MemoryNote[],
  embedder: Embedder,
  signal?: AbortSignal,
): Promise<Map<number, Float32Array>> {
  vectorsTable(database);
  const vectors = new Map<number, Float32Array>();
  const select = database.prepare("SELECT model, dims, vector FROM memory_vectors WHERE note_id = ?");
  const missing: MemoryNote[] = [];
  for (const note of notes) {
    const row = select.get(note.id) as { model: string; dims: number; vector: Uint8Array } | undefined;
    if (row && row.model === embedder.key) vectors.set(note.id, fromBlob(row.vector, row.dims));
    else missing.push(note);
  }
  if (missing.length === 0) return vectors;
  const fresh = await embedder.embed(
    missing.map((note) => note.text),
    signal,
  );
  const upsert = database.prepare(
    "INSERT OR REPLACE INTO memory_vectors (note_id, model, dims, vector) VALUES (?, ?, ?, ?)",
  );
  for (const [index, note] of missing.entries()) {
    const vector = fresh[index] as number[];
    // The note may have been forgotten meanwhile (another process): do not keep an orphan.
    const exists = database.prepare("SELECT 1 FROM memory_notes WHERE id = ?").get(note.id);
    if (exists) upsert.run(note.id, embedder.key, vector.length, toBlob(vector));
    vectors.set(note.id, new Float32Array(vector));
  }
  return vectors;
}

export interface HybridNote extends MemoryNote {
  /** The fused score (higher is better). */
  score: number;
  /** FTS5 rank (1 = best), when full-text search found it. */
  fts_rank?: number;
  /** Cosine similarity to the query, when it passed `min_similarity`. */
  similarity?: number;
}

export interface HybridSearch {
  notes: HybridNote[];
  /** "hybrid" when embeddings took part, "fts" otherwise. */
  method: "hybrid" | "fts";
  /** One line when embeddings were configured but failed (FTS5 was used alone). */
  warning?: string;
}

/**
 * Notes matching `text`, best first: FTS5 BM25 fused with embedding similarity by reciprocal
 * rank fusion when an embedder is given, else FTS5 alone. Notes below `minSimilarity` take no
 * part through their embedding. Never throws for an embedding failure: it is returned as
 * `warning` and FTS5's order is used. Errors: the database errors of src/store/database.ts.
 */
export async function searchHybrid(
  env: Env,
  text: string,
  options: {
    project?: string;
    limit?: number;
    embedder?: Embedder;
    minSimilarity?: number;
    signal?: AbortSignal;
  } = {},
): Promise<HybridSearch> {
  const limit = options.limit ?? 20;
  const fts: ScoredNote[] = searchNotes(env, text, {
    ...(options.project !== undefined ? { project: options.project } : {}),
    limit: Math.max(limit, 20),
  });
  const ftsOnly = (warning?: string): HybridSearch => ({
    notes: fts
      .slice(0, limit)
      .map((note, index) => ({ ...note, score: 1 / (rrfK + index + 1), fts_rank: index + 1 })),
    method: "fts",
    ...(warning ? { warning } : {}),
  });
  if (!options.embedder || text.trim() === "") return ftsOnly();
  const database = openMemory(env);
  const scope = notesInScope(database, options.project);
  if (scope.length === 0) return ftsOnly();
  let ranked: Array<{ note: MemoryNote; similarity: number }>;
  try {
    const vectors = await ensureVectors(database, scope, options.embedder, options.signal);
    const [query] = await options.embedder.embed([text], options.signal);
    if (!query) throw new Error("no vector for the query");
    const minimum = options.minSimilarity ?? 0.5;
    ranked = scope
      .map((note) => ({ note, similarity: cosine(query, vectors.get(note.id) ?? []) }))
      .filter((entry) => entry.similarity >= minimum)
      .sort((a, b) => b.similarity - a.similarity || b.note.id - a.note.id)
      .slice(0, Math.max(limit, 20));
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    return ftsOnly(`memory embeddings (${options.embedder.key}) failed, full-text search only: ${reason}`);
  }
  const fused = new Map<number, HybridNote>();
  for (const [index, note] of fts.entries()) {
    fused.set(note.id, { ...note, score: 1 / (rrfK + index + 1), fts_rank: index + 1 });
  }
  for (const [index, { note, similarity }] of ranked.entries()) {
    const current = fused.get(note.id);
    const part = 1 / (rrfK + index + 1);
    if (current) {
      current.score += part;
      current.similarity = similarity;
    } else fused.set(note.id, { ...note, score: part, similarity });
  }
  const notes = [...fused.values()].sort((a, b) => b.score - a.score || b.id - a.id).slice(0, limit);
  return { notes, method: "hybrid" };
}
