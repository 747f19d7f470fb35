/**
 * What the pipeline needs from the outside world, as small interfaces. The application layer
 * wires real implementations (providers, SQLite store, repository index, edit engine); tests and
 * the benchmark wire fakes. Nothing here reads global config or prints.
 */

import type { ChangedFile } from "./hooks.js";
import type { Plan } from "./plan-schema.js";

export interface TokenCounter {
  name: string;
  /** True when the count comes from the model's own tokenizer. */
  exact: boolean;
  count(text: string): number;
  /** Starts loading the tokenizer in the background (see src/tokens/counter.ts). */
  prepare?(): void;
  /** A cheap upper bound of `count(text)` that needs no tokenizer (see src/tokens/counter.ts). */
  atMost?(text: string): number;
}

/** What the planner sees of the repository, and the content hashes that key the plan cache. */
export interface RepoSkeleton {
  text: string;
  tokens: number;
  files: Array<{ path: string; sha256: string }>;
}

export interface RepoAccess {
  root: string;
  /** Repository files (repo-relative, POSIX), honouring .gitignore. */
  listFiles(): string[];
  /** File content, or null when it does not exist. */
  readFile(path: string): string | null;
  buildSkeleton(options: { tokens: number; task: string; counter: TokenCounter }): Promise<RepoSkeleton>;
  /**
   * Starts the file listing behind `listFiles` in the background (git, free and local), e.g.
   * while pre-flight checks run; `listFiles` then uses its result. Resolves when done and never
   * rejects: when the background listing fails, `listFiles` lists synchronously as before.
   */
  warm?(): Promise<void>;
}

/** One file as packed into the drafter's window: whole, or an excerpt that says what it left out. */
export interface PackedFile {
  file: string;
  text: string;
  whole: boolean;
  omitted?: string;
}

/** Fits a unit's target and context files into a token budget (e.g. src/repo `packContext`). */
export interface ContextPacker {
  pack(request: {
    targetFiles: string[];
    contextFiles: string[];
    budgetTokens: number;
    counter: TokenCounter;
    goal: string;
    read(path: string): string | null;
  }): Promise<{ blocks: PackedFile[]; fits: boolean; notes: string[]; usedTokens: number }>;
}

export interface EditAttempt {
  ok: boolean;
  /** Changes relative to what `read` returned (only when ok, or partial edits applied). */
  changes: ChangedFile[];
  /** Number of edits found in the reply. */
  editCount: number;
  /** For the drafter when !ok: what failed, the nearest lines, what did apply. */
  report: string;
}

export interface EditEngine {
  apply(
    reply: string,
    options: { defaultFile?: string; allowedFiles: string[]; read(path: string): string | null },
  ): EditAttempt;
  /** Git-compatible unified diff (`diff --git a/x b/x`, /dev/null for new files). */
  diff(changes: ChangedFile[]): string;
}

export interface PlanCacheStore {
  get(key: string): Plan | undefined;
  put(key: string, plan: Plan, meta: { task: string; plannerModel: string; drafterModel: string }): void;
}

export interface UsageRecord {
  runId: string;
  at: number;
  role: "planner" | "drafter" | "reviewer";
  provider: string;
  providerType: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Undefined when the model has no known price. */
  costUsd: number | undefined;
  subscriptionMessages: number;
  latencyMs: number;
  outcome: "ok" | "error" | "aborted" | "truncated" | "invalid";
  purpose: string;
  unitId?: string;
}

export interface UsageSink {
  record(entry: UsageRecord): void;
}

/** One line of the run's append-only audit log. */
export interface RunLogRecord {
  type: string;
  at?: number;
  [key: string]: unknown;
}

export interface RunLogSink {
  append(record: RunLogRecord): void;
}

export type ConfirmRequest = {
  kind: "escalate";
  unitId: string;
  reason: string;
  /** Escalations already used / allowed for this task. */
  used: number;
  limit: number;
};

export type Confirm = (request: ConfirmRequest) => Promise<boolean>;

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
