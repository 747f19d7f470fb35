/**
 * Adaptive evaluation tasks: the user's own accepted units, replayed.
 *
 * Capture (end of `hierocode run`, src/routing/run-router.ts): a top-level unit the reviewer
 * accepted from the drafter, without escalation, that verification vouched for (the project's
 * verify command ran and the unit is among the verified units) and that changed exactly one file
 * is kept as a task in `adaptive_tasks` of `learning.db` (the user-level data folder, beside the
 * outcomes): the unit's goal, the file's content before (null for a new file) and after (the
 * reference), the before-content of the unit's context files, the verify command and its timeout.
 * Nothing is kept when `memory.enabled` or `memory.adaptive` is false, when any of those texts
 * holds what the secret scanner or the log redactor flags (a secret is never stored), when a file
 * exceeds 64 KiB or the task 256 KiB, or for a binary file. The newest 200 tasks are kept.
 *
 * Replay (`hierocode eval run --suite adaptive`): the drafter sees a fresh temporary folder with
 * only the before-files (target and context) and the goal as its instruction, through the real
 * drafting path. The draft is then judged the way verification judges a run (src/verify): in a
 * throwaway clone of the task's project (`createIsolatedWorktree`), with the stored before-files
 * and the drafted file written over it, the stored verify command runs with its stored timeout;
 * exit 0 = pass. Before any model drafts, the reference (the accepted after-file) is checked the
 * same way: a task whose project is gone or whose reference no longer passes there is skipped
 * and reported, never counted. The reference and the project's tests never reach the model.
 * The verify command is the one verification already ran in that project (from the user's
 * `--verify` or `policy.verify_command`), read back from the user's own data folder.
 */
import { existsSync } from "node:fs";
import { createRedactor } from "../checks/redact.js";
import { scanSecrets } from "../checks/secret-scan.js";
import { readRepoFile } from "../edits/repo-files.js";
import type { ChangedFile, Verifier } from "../pipeline/hooks.js";
import type { PipelineResult } from "../pipeline/pipeline-types.js";
import { openLearningDatabase } from "../routing/outcome-store.js";
import { type Database, ensureSchema } from "../store/database.js";
import { createVerifier } from "../verify/index.js";
import type { EvalTask } from "./suite.js";

type Env = Record<string, string | undefined>;

/** Largest file kept, characters. */
export const maxFileChars = 64 * 1024;
/** Largest task kept (all its files and the reference), characters. */
export const maxTaskChars = 256 * 1024;
/** Tasks kept; older ones are dropped. */
export const maxStoredTasks = 200;

const ddl = `CREATE TABLE IF NOT EXISTS adaptive_tasks (
  run_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  project TEXT NOT NULL,
  language TEXT NOT NULL,
  instruction TEXT NOT NULL,
  target TEXT NOT NULL,
  before_text TEXT,
  after_text TEXT NOT NULL,
  context TEXT NOT NULL,
  test TEXT NOT NULL,
  timeout_seconds REAL NOT NULL,
  chars INTEGER NOT NULL,
  PRIMARY KEY (run_id, unit_id)
);
CREATE INDEX IF NOT EXISTS adaptive_tasks_at ON adaptive_tasks (at);`;

/** One stored task. */
export interface AdaptiveTask {
  runId: string;
  unitId: string;
  /** Epoch ms the run ended. */
  at: number;
  /** Absolute repository root the unit ran in. */
  project: string;
  language: string;
  /** The unit's goal (redaction-checked). */
  instruction: string;
  /** The one file the unit changed (repository-relative). */
  target: string;
  /** Its content before the run; null when the unit created it. */
  before: string | null;
  /** The accepted content: the reference, never shown to a model. */
  after: string;
  /** Context files the drafter was given, with their content before the run. */
  context: Record<string, string>;
  /** The verify command that vouched for the unit. */
  test: string;
  timeoutSeconds: number;
}

const languages: Record<string, string> = {
  py: "python",
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  cts: "typescript",
  js: "javascript",
  jsx: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  go: "go",
  rs: "rust",
  java: "java",
  kt: "kotlin",
  rb: "ruby",
  php: "php",
  cs: "csharp",
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  hpp: "cpp",
  swift: "swift",
  sh: "shell",
};

/** The language of a path by its extension (`other` when unknown). */
export function languageOf(path: string): string {
  const dot = path.lastIndexOf(".");
  return (dot >= 0 && languages[path.slice(dot + 1).toLowerCase()]) || "other";
}

/** `learning.db` of the data folder with the `adaptive_tasks` table. Errors: src/store/database.ts's. */
export function openAdaptiveStore(env: Env): Database {
  const database = openLearningDatabase(env);
  ensureSchema(database, "adaptive_tasks", ddl);
  return database;
}

export interface CaptureInput {
  env: Env;
  config: { memory: { enabled: boolean; adaptive?: boolean }; policy: { verify_timeout_seconds: number } };
  repoRoot: string;
  result: PipelineResult;
  now?: number;
}

export interface CaptureReport {
  stored: string[];
  /** Units that qualified by outcome but were not kept, with the reason. */
  skipped: Array<{ unit: string; reason: string }>;
}

/**
 * Keeps the run's accepted, verified single-file units as adaptive tasks (see the module
 * comment for the rules). Reads context files from `repoRoot`, so it must run before the run's
 * changes are applied. Never throws for a unit it cannot keep: it lists it under `skipped`.
 * Errors: the database errors of src/store/database.ts.
 */
export function captureAdaptiveTasks(input: CaptureInput): CaptureReport {
  const report: CaptureReport = { stored: [], skipped: [] };
  const { memory } = input.config;
  const verification = input.result.verification;
  if (!memory.enabled || memory.adaptive === false || !verification) return report;
  const verified = new Set(verification.verifiedUnits);
  const redact = createRedactor(input.env);
  const clean = (text: string, path?: string) =>
    scanSecrets(text, path === undefined ? {} : { path }).length === 0 && redact(text) === text;
  const planned = new Map(input.result.plan.units.map((unit) => [unit.id, unit]));
  const runChanges = new Map(input.result.changes.map((change) => [change.file, change]));
  const rows: AdaptiveTask[] = [];
  for (const unit of input.result.units) {
    if (
      unit.parentId !== undefined ||
      unit.status !== "accepted" ||
      unit.author !== "drafter" ||
      unit.escalated ||
      !verified.has(unit.id)
    )
      continue;
    const skip = (reason: string) => report.skipped.push({ unit: unit.id, reason });
    const [change, ...more] = unit.changes;
    if (!change || more.length > 0) {
      skip(`changed ${unit.changes.length} files (adaptive tasks are single-file units)`);
      continue;
    }
    if (change.after === null) {
      skip("deleted its file");
      continue;
    }
    if (!clean(unit.goal)) {
      skip("its goal holds what looks like a secret");
      continue;
    }
    const context: Record<string, string> = {};
    let problem: string | undefined;
    for (const file of planned.get(unit.id)?.context_files ?? []) {
      if (file === change.file) continue;
      let text: string | null;
      try {
        text = runChanges.has(file)
          ? (runChanges.get(file)?.before ?? null)
          : readRepoFile(input.repoRoot, file);
      } catch (error) {
        problem = `context file ${file} cannot be kept (${error instanceof Error ? error.message : String(error)})`;
        break;
      }
      if (text !== null) context[file] = text;
    }
    if (problem) {
      skip(problem);
      continue;
    }
    const texts: Array<[string, string]> = [
      ...(change.before !== null ? ([[change.file, change.before]] as Array<[string, string]>) : []),
      [change.file, change.after],
      ...Object.entries(context),
    ];
    const large = texts.find(([, text]) => text.length > maxFileChars);
    if (large) {
      skip(`${large[0]} is larger than ${maxFileChars} characters`);
      continue;
    }
    const chars = texts.reduce((sum, [, text]) => sum + text.length, 0);
    if (chars > maxTaskChars) {
      skip(`its files hold more than ${maxTaskChars} characters`);
      continue;
    }
    const secret = texts.find(([path, text]) => !clean(text, path));
    if (secret) {
      skip(`${secret[0]} holds what looks like a secret`);
      continue;
    }
    rows.push({
      runId: input.result.runId,
      unitId: unit.id,
      at: input.now ?? Date.now(),
      project: input.repoRoot,
      language: languageOf(change.file),
      instruction: unit.goal,
      target: change.file,
      before: change.before,
      after: change.after,
      context,
      test: verification.command,
      timeoutSeconds: input.config.policy.verify_timeout_seconds,
    });
  }
  if (rows.length === 0) return report;
  const database = openAdaptiveStore(input.env);
  const insert = database.prepare(
    `INSERT OR REPLACE INTO adaptive_tasks (run_id, unit_id, at, project, language, instruction, target, before_text, after_text, context, test, timeout_seconds, chars)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const row of rows) {
    const chars =
      (row.before?.length ?? 0) +
      row.after.length +
      Object.values(row.context).reduce((sum, text) => sum + text.length, 0);
    insert.run(
      row.runId,
      row.unitId,
      row.at,
      row.project,
      row.language,
      row.instruction,
      row.target,
      row.before,
      row.after,
      JSON.stringify(row.context),
      row.test,
      row.timeoutSeconds,
      chars,
    );
    report.stored.push(row.unitId);
  }
  database
    .prepare(
      `DELETE FROM adaptive_tasks WHERE (run_id, unit_id) NOT IN
         (SELECT run_id, unit_id FROM adaptive_tasks ORDER BY at DESC, run_id DESC, unit_id LIMIT ?)`,
    )
    .run(maxStoredTasks);
  return report;
}

/** The stored tasks, newest first (at most `limit`). */
export function listAdaptiveTasks(env: Env, options: { limit?: number } = {}): AdaptiveTask[] {
  const database = openAdaptiveStore(env);
  const rows = database
    .prepare("SELECT * FROM adaptive_tasks ORDER BY at DESC, run_id DESC, unit_id LIMIT ?")
    .all(options.limit ?? maxStoredTasks) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    runId: String(row.run_id),
    unitId: String(row.unit_id),
    at: Number(row.at),
    project: String(row.project),
    language: String(row.language),
    instruction: String(row.instruction),
    target: String(row.target),
    before: row.before_text === null ? null : String(row.before_text),
    after: String(row.after_text),
    context: JSON.parse(String(row.context)) as Record<string, string>,
    test: String(row.test),
    timeoutSeconds: Number(row.timeout_seconds),
  }));
}

/** The id an adaptive task has in evaluation reports: `<run id>/<unit id>`. */
export function adaptiveTaskId(task: Pick<AdaptiveTask, "runId" | "unitId">): string {
  return `${task.runId}/${task.unitId}`;
}

/** An adaptive task as an evaluation task: the before-files the drafter sees, the goal, the target. */
export function toEvalTask(task: AdaptiveTask): EvalTask {
  return {
    id: adaptiveTaskId(task),
    language: task.language,
    instruction: task.instruction,
    files: { ...(task.before !== null ? { [task.target]: task.before } : {}), ...task.context },
    target: task.target,
    test: task.test,
  };
}

/** Judges drafts of tasks that are not self-contained (see `EvalRunOptions.judge`). */
export interface TaskJudge {
  /** Checks each task can be judged at all; returns those that can and why the others cannot. */
  prepare(tasks: EvalTask[]): Promise<{ tasks: EvalTask[]; skipped: Array<{ id: string; reason: string }> }>;
  /** Whether `changes` (the applied draft) pass the task. */
  check(
    task: EvalTask,
    changes: ChangedFile[],
    signal?: AbortSignal,
  ): Promise<{ passed: boolean; reason?: string }>;
  dispose(): Promise<void>;
}

/**
 * The judge of adaptive tasks: one verifier (src/verify: a throwaway clone of the project, the
 * stored command with its stored timeout) per task, kept for every model of the evaluation.
 */
export function adaptiveJudge(env: Env, stored: AdaptiveTask[]): TaskJudge {
  const byId = new Map(stored.map((task) => [adaptiveTaskId(task), task]));
  const verifiers = new Map<string, Verifier>();
  /** The stored before-files written over the project's current tree, plus `target`'s content. */
  const overlay = (task: AdaptiveTask, target: string | null): ChangedFile[] => [
    ...Object.entries(task.context).map(([file, text]) => ({ file, before: null, after: text })),
    { file: task.target, before: null, after: target },
  ];
  const outcomeReason = (
    outcome: { exitCode: number | null; timedOut: boolean; report: string },
    task: AdaptiveTask,
  ) =>
    outcome.timedOut
      ? `verify command timed out after ${task.timeoutSeconds}s`
      : `verify command exited ${outcome.exitCode ?? "by signal"}${outcome.report ? `: ${lastLine(outcome.report)}` : ""}`;
  return {
    async prepare(tasks) {
      const kept: EvalTask[] = [];
      const skipped: Array<{ id: string; reason: string }> = [];
      for (const task of tasks) {
        const item = byId.get(task.id);
        if (!item) {
          skipped.push({ id: task.id, reason: "not a stored adaptive task" });
          continue;
        }
        if (!existsSync(item.project)) {
          skipped.push({ id: task.id, reason: `project ${item.project} no longer exists` });
          continue;
        }
        try {
          const verifier = createVerifier({
            repoRoot: item.project,
            command: item.test,
            timeoutSeconds: item.timeoutSeconds,
            env,
          });
          verifiers.set(task.id, verifier);
          const reference = await verifier.verify(overlay(item, item.after));
          if (!reference.ok) {
            skipped.push({
              id: task.id,
              reason: `the accepted reference no longer passes there (${outcomeReason(reference, item)})`,
            });
            continue;
          }
        } catch (error) {
          if ((error as Error).name === "AbortError") throw error;
          skipped.push({
            id: task.id,
            reason: `cannot verify in ${item.project}: ${error instanceof Error ? error.message : String(error)}`,
          });
          continue;
        }
        kept.push(task);
      }
      return { tasks: kept, skipped };
    },
    async check(task, changes, signal) {
      const item = byId.get(task.id);
      const verifier = verifiers.get(task.id);
      if (!item || !verifier) return { passed: false, reason: "task was not prepared" };
      const drafted = changes.find((change) => change.file === item.target);
      if (changes.some((change) => change.file !== item.target))
        return { passed: false, reason: "the draft changed another file than the unit's target" };
      const outcome = await verifier.verify(overlay(item, drafted ? drafted.after : item.before), signal);
      return outcome.ok ? { passed: true } : { passed: false, reason: outcomeReason(outcome, item) };
    },
    async dispose() {
      for (const verifier of verifiers.values()) await verifier.dispose();
      verifiers.clear();
    },
  };
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines[lines.length - 1] ?? "").slice(0, 200);
}
