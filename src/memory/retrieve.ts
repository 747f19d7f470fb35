/**
 * What the planner is told from memory before it plans: the preferences of the project and the
 * global ones (always relevant), then the notes that match the task best — by FTS5 BM25, fused
 * with embedding similarity when `memory.embeddings` is configured (src/memory/embeddings.ts) —
 * while they fit a token budget. Nothing is retrieved when `memory.enabled` is false.
 */

import { existsSync } from "node:fs";
import type { HierocodeConfig } from "../config/schema.js";
import type { TokenCounter } from "../pipeline/ports.js";
import { type Embedder, embedderFor, searchHybrid } from "./embeddings.js";
import { listNotes, type MemoryNote, memoryDatabasePath } from "./store.js";

type Env = Record<string, string | undefined>;

export interface PlannerMemory {
  /** The block appended to the planner's prompt. */
  text: string;
  /** What was injected (for the run log). */
  notes: Array<{
    id: number;
    kind: string;
    scope: "global" | "project";
    /** How a note was found: a preference (always given), full-text search, embeddings, or both. */
    via: "preference" | "fts" | "embedding" | "fts+embedding";
  }>;
  tokens: number;
}

/**
 * Retrieves memory for `task` in the repository `project` within `budgetTokens`; undefined when
 * nothing is relevant. With `embedder`, matches are FTS5 and embeddings fused (an embedding
 * failure goes to `onWarning` and FTS5 alone is used). Errors: the database errors of
 * src/store/database.ts.
 */
export async function memoryForTask(
  env: Env,
  input: {
    task: string;
    project: string;
    budgetTokens: number;
    counter: TokenCounter;
    embedder?: Embedder;
    minSimilarity?: number;
    onWarning?: (message: string) => void;
    signal?: AbortSignal;
  },
): Promise<PlannerMemory | undefined> {
  // No store yet: nothing to give (and no file created by merely running a task).
  if (!existsSync(memoryDatabasePath(env))) return undefined;
  const preferences = [
    ...listNotes(env, { project: input.project }),
    ...listNotes(env, { project: null }),
  ].filter((note) => note.kind === "preference");
  const found = await searchHybrid(env, input.task, {
    project: input.project,
    ...(input.embedder ? { embedder: input.embedder } : {}),
    ...(input.minSimilarity !== undefined ? { minSimilarity: input.minSimilarity } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  if (found.warning) input.onWarning?.(found.warning);
  const via = new Map<number, PlannerMemory["notes"][number]["via"]>();
  for (const note of found.notes) {
    const fts = note.fts_rank !== undefined;
    const embedding = note.similarity !== undefined;
    via.set(note.id, fts && embedding ? "fts+embedding" : embedding ? "embedding" : "fts");
  }
  const matches = found.notes.filter((note) => note.kind !== "preference");
  const chosen: MemoryNote[] = [];
  const lines: string[] = [];
  let tokens = 0;
  for (const note of [...preferences, ...matches]) {
    const line = `- (${note.kind}${note.project ? ", this project" : ""}) ${note.text}`;
    const cost = input.counter.count(line) + 1;
    if (tokens + cost > input.budgetTokens) continue;
    tokens += cost;
    lines.push(line);
    chosen.push(note);
  }
  if (chosen.length === 0) return undefined;
  return {
    text: `From the user's memory (notes and preferences kept across projects):\n${lines.join("\n")}`,
    notes: chosen.map((note) => ({
      id: note.id,
      kind: note.kind,
      scope: note.project ? "project" : "global",
      via: note.kind === "preference" ? "preference" : (via.get(note.id) ?? "fts"),
    })),
    tokens,
  };
}

/**
 * The pipeline's `plannerMemory` entry for a run in `repoRoot`: `{}` when `memory.enabled` is
 * false, the budget is 0, or nothing is relevant; spread it into the pipeline's deps. An
 * embedding problem (misconfigured provider, server down, unknown model) is one line to
 * `onWarning`; retrieval then uses FTS5 alone.
 */
export async function plannerMemoryFor(input: {
  config: Pick<HierocodeConfig, "memory" | "providers">;
  env: Env;
  task: string;
  repoRoot: string;
  counter: TokenCounter;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}): Promise<{ plannerMemory?: PlannerMemory }> {
  const { memory } = input.config;
  if (!memory.enabled || memory.max_tokens === 0) return {};
  if (!existsSync(memoryDatabasePath(input.env))) return {};
  let embedder: Embedder | undefined;
  try {
    embedder = embedderFor(input.config, input.env);
  } catch (error) {
    input.onWarning?.(
      `memory embeddings not used, full-text search only: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const found = await memoryForTask(input.env, {
    task: input.task,
    project: input.repoRoot,
    budgetTokens: memory.max_tokens,
    counter: input.counter,
    ...(embedder ? { embedder, minSimilarity: memory.embeddings?.min_similarity ?? 0.5 } : {}),
    ...(input.onWarning ? { onWarning: input.onWarning } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  return found ? { plannerMemory: found } : {};
}
