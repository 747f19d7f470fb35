/**
 * `hierocode eval run`: each candidate drafter drafts every task through the real drafting path
 * (src/app/draft.ts `draftFile`: the same prompts, packing, edit format choice and edit engine as
 * `draft` and `run`), in a fresh temporary folder; the draft is applied there, the hidden files
 * are written only then, and the task's test command decides pass or fail.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { draftFile } from "../app/draft.js";
import type { HierocodeConfig, RoleBinding } from "../config/schema.js";
import { ExitCode, HierocodeError, UsageError } from "../errors.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { TaskJudge } from "./adaptive.js";
import { type Proportion, percentile, wilson } from "./stats.js";
import { type EvalTask, taskTarget } from "./suite.js";

type Env = Record<string, string | undefined>;

/** One candidate drafter: a provider name from the config and a model id. */
export interface EvalCandidate {
  provider: string;
  model: string;
}

/** What one task gave for one model. */
export interface TaskResult {
  id: string;
  language: string;
  /** The draft parsed and applied to the task's files. */
  well_formed: boolean;
  /** The hidden test exited 0 after the draft was applied. */
  passed: boolean;
  truncated: boolean;
  /** The drafter's wall time for this task (all its calls), ms. */
  latency_ms: number;
  tokens_in: number;
  tokens_out: number;
  /** Why it failed, one line (draft refused, edit did not apply, test exit code, timeout). */
  reason?: string;
}

/** Per-model summary, the shape `--json` prints under `models`. */
export interface ModelReport {
  model: string;
  provider: string;
  tasks: number;
  passed: number;
  pass_at_1: number;
  pass_at_1_ci: [number, number];
  well_formed_rate: number;
  well_formed_ci: [number, number];
  truncated: number;
  latency_p50_ms: number;
  latency_p95_ms: number;
  /** Output tokens per second of drafter wall time over all tasks. */
  tokens_per_s: number;
  tokens_in: number;
  tokens_out: number;
  /** Passes per language: the router's priors (see priors.ts). */
  by_language: Record<string, { successes: number; trials: number }>;
  results: TaskResult[];
}

export interface EvalRunOptions {
  config: HierocodeConfig;
  env: Env;
  candidates: EvalCandidate[];
  tasks: EvalTask[];
  /** Per-task limit on the hidden test, seconds (default 60). */
  testTimeoutSeconds?: number;
  runtime?: Partial<ProviderRuntime>;
  signal?: AbortSignal;
  /**
   * Judges drafts instead of the task's own test in its folder (adaptive tasks: src/eval/adaptive.ts).
   * `prepare` runs once before any model drafts; tasks it rejects are left out of every model's
   * counts and returned by `runEvaluation` under `skipped`.
   */
  judge?: TaskJudge;
  /** Progress: called after each task. */
  onTask?: (candidate: EvalCandidate, result: TaskResult, index: number, total: number) => void;
}

/**
 * Parses `--models [provider/]m1,…`: a part whose text before the first '/' names a configured
 * provider is provider/model; otherwise the whole part is a model of the drafter's provider
 * (model ids such as `hf.co/org/model` keep their slashes). Without a spec: the drafter and its
 * `candidates` (the router's choices). Errors: UsageError for an empty list
 * or when no drafter provider is configured for a bare model.
 */
export function parseCandidates(spec: string | undefined, config: HierocodeConfig): EvalCandidate[] {
  const drafter = config.routing.drafter;
  if (spec === undefined) {
    if (!drafter) {
      throw new UsageError("no drafter is configured and no --models given", {
        hint: "pass --models provider/model,… or run `hierocode models set drafter <model> -p <provider>`",
      });
    }
    const all = [drafter, ...(drafter.candidates ?? [])].map(({ provider, model }) => ({ provider, model }));
    return all.filter(
      (candidate, index) =>
        all.findIndex((other) => other.provider === candidate.provider && other.model === candidate.model) ===
        index,
    );
  }
  const parts = spec
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (parts.length === 0) throw new UsageError("--models: no models given");
  const out: EvalCandidate[] = [];
  for (const part of parts) {
    const slash = part.indexOf("/");
    const head = slash > 0 ? part.slice(0, slash) : "";
    if (head && config.providers[head]) {
      out.push({ provider: head, model: part.slice(slash + 1) });
      continue;
    }
    const provider = drafter?.provider ?? config.default_provider;
    if (!provider) {
      throw new UsageError(`--models: '${part}' names no provider and no drafter provider is configured`, {
        hint: "write provider/model with a provider from `hierocode providers list`",
      });
    }
    out.push({ provider, model: part });
  }
  return out;
}

/** The config with every role bound to the candidate: only the candidate is ever called. */
function configFor(config: HierocodeConfig, candidate: EvalCandidate): HierocodeConfig {
  if (!config.providers[candidate.provider]) {
    throw new UsageError(`--models: provider '${candidate.provider}' is not defined under providers`);
  }
  const binding: RoleBinding = { provider: candidate.provider, model: candidate.model };
  return { ...config, routing: { planner: binding, drafter: binding, reviewer: binding } };
}

/** Errors that end the whole evaluation (the model cannot be reached at all), not one task. */
function fatal(error: unknown): boolean {
  if (!(error instanceof HierocodeError)) return false;
  const codes: number[] = [
    ExitCode.providerUnavailable,
    ExitCode.auth,
    ExitCode.modelNotFound,
    ExitCode.config,
    ExitCode.aborted,
  ];
  return codes.includes(error.exitCode);
}

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

/**
 * Runs `command` with /bin/sh in `cwd`; resolves with its exit code, or "timeout" after
 * `timeoutMs` (its whole process group is killed). Node's own folder leads PATH so `node` is the
 * running one.
 */
export function runTest(
  command: string,
  cwd: string,
  env: Env,
  timeoutMs: number,
): Promise<{ code: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd,
      env: { ...env, PATH: [dirname(process.execPath), env.PATH ?? ""].join(delimiter) },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      if (output.length < 4000) output += chunk.toString("utf8");
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, timedOut, output: error.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, output });
    });
  });
}

async function runOne(options: EvalRunOptions, config: HierocodeConfig, task: EvalTask): Promise<TaskResult> {
  const folder = mkdtempSync(join(tmpdir(), "hierocode-eval-"));
  const base = { id: task.id, language: task.language };
  try {
    writeTree(folder, task.files);
    const target = taskTarget(task);
    const contextFiles = Object.keys(task.files).filter((path) => path !== target);
    const drafted = await draftFile({
      config,
      env: options.env,
      repoRoot: folder,
      task: task.instruction,
      file: target,
      ...(contextFiles.length > 0 ? { contextFiles } : {}),
      ...(options.runtime ? { runtime: options.runtime } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const totals = drafted.totals.drafter;
    const measured = {
      latency_ms: Math.round(totals.latencyMs),
      tokens_in: totals.usage.inputTokens + totals.usage.cacheReadTokens + totals.usage.cacheWriteTokens,
      tokens_out: totals.usage.outputTokens,
    };
    const outcome = drafted.outcome;
    if (!outcome.ok) {
      return {
        ...base,
        ...measured,
        well_formed: false,
        passed: false,
        truncated: outcome.kind === "truncated",
        reason: `${outcome.kind}: ${outcome.reason}`,
      };
    }
    for (const change of outcome.changes) {
      const full = join(folder, change.file);
      if (change.after === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, change.after);
      }
    }
    if (options.judge) {
      const judged = await options.judge.check(task, outcome.changes, options.signal);
      return {
        ...base,
        ...measured,
        well_formed: true,
        passed: judged.passed,
        truncated: false,
        ...(judged.reason ? { reason: judged.reason } : {}),
      };
    }
    // The hidden tests arrive only now: the model never saw them.
    writeTree(folder, task.hidden_files ?? {});
    const test = await runTest(task.test, folder, options.env, (options.testTimeoutSeconds ?? 60) * 1000);
    const passed = test.code === 0 && !test.timedOut;
    return {
      ...base,
      ...measured,
      well_formed: true,
      passed,
      truncated: false,
      ...(passed
        ? {}
        : {
            reason: test.timedOut
              ? `test timed out after ${options.testTimeoutSeconds ?? 60}s`
              : `test exited ${test.code ?? "by signal"}: ${lastLine(test.output)}`,
          }),
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines[lines.length - 1] ?? "").slice(0, 200);
}

/** Summarises one model's task results (rates with 95% Wilson intervals). */
export function summarize(candidate: EvalCandidate, results: TaskResult[]): ModelReport {
  const passed = results.filter((result) => result.passed).length;
  const wellFormed = results.filter((result) => result.well_formed).length;
  const pass: Proportion = wilson(passed, results.length);
  const formed: Proportion = wilson(wellFormed, results.length);
  const latencies = results.map((result) => result.latency_ms);
  const totalLatency = latencies.reduce((sum, value) => sum + value, 0);
  const tokensOut = results.reduce((sum, result) => sum + result.tokens_out, 0);
  const byLanguage: ModelReport["by_language"] = {};
  for (const result of results) {
    const cell = byLanguage[result.language] ?? { successes: 0, trials: 0 };
    byLanguage[result.language] = cell;
    cell.trials += 1;
    if (result.passed) cell.successes += 1;
  }
  return {
    model: candidate.model,
    provider: candidate.provider,
    tasks: results.length,
    passed,
    pass_at_1: pass.rate,
    pass_at_1_ci: pass.interval,
    well_formed_rate: formed.rate,
    well_formed_ci: formed.interval,
    truncated: results.filter((result) => result.truncated).length,
    latency_p50_ms: percentile(latencies, 50),
    latency_p95_ms: percentile(latencies, 95),
    tokens_per_s: totalLatency > 0 ? Math.round((tokensOut / (totalLatency / 1000)) * 10) / 10 : 0,
    tokens_in: results.reduce((sum, result) => sum + result.tokens_in, 0),
    tokens_out: tokensOut,
    by_language: byLanguage,
    results,
  };
}

/**
 * Runs every task for every candidate, one at a time (local models share one machine).
 * Errors: an unreachable provider, a missing model, failed auth or an interrupt end the run
 * (HierocodeError); a provider error or unusable reply on one task fails that task only.
 */
export async function runEvaluation(options: EvalRunOptions): Promise<ModelReport[]> {
  return (await runEvaluationWithSkips(options)).models;
}

/**
 * `runEvaluation`, also returning the tasks the judge could not use (`skipped`, with reasons);
 * the judge is disposed at the end, whatever happens.
 */
export async function runEvaluationWithSkips(
  options: EvalRunOptions,
): Promise<{ models: ModelReport[]; skipped: Array<{ id: string; reason: string }> }> {
  try {
    for (const candidate of options.candidates) configFor(options.config, candidate);
    const prepared = options.judge
      ? await options.judge.prepare(options.tasks)
      : { tasks: options.tasks, skipped: [] };
    if (prepared.tasks.length === 0) {
      const first = prepared.skipped[0];
      throw new UsageError(`no task can be evaluated${first ? `: ${first.id}: ${first.reason}` : ""}`, {
        hint: "adaptive tasks need their project folder and a verify command that still passes on the accepted change",
      });
    }
    const models = await evaluate({ ...options, tasks: prepared.tasks });
    return { models, skipped: prepared.skipped };
  } finally {
    await options.judge?.dispose();
  }
}

async function evaluate(options: EvalRunOptions): Promise<ModelReport[]> {
  const reports: ModelReport[] = [];
  for (const candidate of options.candidates) {
    const config = configFor(options.config, candidate);
    const results: TaskResult[] = [];
    for (const [index, task] of options.tasks.entries()) {
      let result: TaskResult;
      try {
        result = await runOne(options, config, task);
      } catch (error) {
        if (fatal(error) || options.signal?.aborted) throw error;
        result = {
          id: task.id,
          language: task.language,
          well_formed: false,
          passed: false,
          truncated: false,
          latency_ms: 0,
          tokens_in: 0,
          tokens_out: 0,
          reason: `error: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
      results.push(result);
      options.onTask?.(candidate, result, index + 1, options.tasks.length);
    }
    reports.push(summarize(candidate, results));
  }
  return reports;
}
