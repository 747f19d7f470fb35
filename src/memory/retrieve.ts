/**
 * What the planner is told from memory before it plans: the preferences of the project and the
 * global ones (always relevant), then the notes that match the task best by BM25, while they fit
 * a token budget. Nothing is retrieved when `memory.enabled` is false.
 */

import { existsSync } from "node:fs";
import type { TokenCounter } from "../pipeline/ports.js";
import { listNotes, type MemoryNote, memoryDatabasePath, searchNotes } from "./store.js";

type Env = Record<string, string | undefined>;

export interface PlannerMemory {
  /** The block appended to the planner's prompt. */
  text: string;
  /** What was injected (for the run log). */
  notes: Array<{ id: number; kind: string; scope: "global" | "project" }>;
  tokens: number;
}

/**
 * Retrieves memory for `task` in the repository `project` within `budgetTokens`; undefined when
 * nothing is relevant. Errors: the database errors of src/store/database.ts.
 */
export function memoryForTask(
  env: Env,
  input: { task: string; project: string; budgetTokens: number; counter: TokenCounter },
): PlannerMemory | undefined {
  // No store yet: nothing to give (and no file created by merely running a task).
  if (!existsSync(memoryDatabasePath(env))) return undefined;
  const preferences = [
    ...listNotes(env, { project: input.project }),
    ...listNotes(env, { project: null }),
  ].filter((note) => note.kind === "preference");
  const matches = searchNotes(env, input.task, { project: input.project }).filter(
    (note) => note.kind !== "preference",
  );
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
    })),
    tokens,
  };
}

/**
 * The pipeline's `plannerMemory` entry for a run in `repoRoot`: `{}` when `memory.enabled` is
 * false, the budget is 0, or nothing is relevant; spread it into the pipeline's deps.
 */
export function plannerMemoryFor(input: {
  config: { memory: { enabled: boolean; max_tokens: number } };
  env: Env;
  task: string;
  repoRoot: string;
  counter: TokenCounter;
}): { plannerMemory?: PlannerMemory } {
  const { memory } = input.config;
  if (!memory.enabled || memory.max_tokens === 0) return {};
  const found = memoryForTask(input.env, {
    task: input.task,
    project: input.repoRoot,
    budgetTokens: memory.max_tokens,
    counter: input.counter,
  });
  return found ? { plannerMemory: found } : {};
}
