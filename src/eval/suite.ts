/**
 * Evaluation tasks: the built-in suite and user suites (JSONL, one task per line). A task's
 * `files` are what the drafter sees; `hidden_files` (the tests) are written only after the draft
 * was applied, so they never reach the model.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { UsageError } from "../errors.js";
import { normalizeRepoPath } from "../pipeline/plan-validation.js";

export const evalTaskSchema = z.object({
  id: z.string().min(1),
  language: z.string().min(1),
  instruction: z.string().min(1),
  files: z.record(z.string(), z.string()),
  hidden_files: z.record(z.string(), z.string()).optional(),
  /** Shell command run in the task folder after the draft was applied; exit 0 = pass. */
  test: z.string().min(1),
  /** The file the drafter changes (default: the first of `files`); the others are context. */
  target: z.string().min(1).optional(),
});

export type EvalTask = z.infer<typeof evalTaskSchema>;

/** The file a task's draft targets: `target`, else the first of `files`. */
export function taskTarget(task: EvalTask): string {
  const target = task.target ?? Object.keys(task.files)[0];
  if (!target) throw new UsageError(`eval task '${task.id}': no files and no target`);
  return target;
}

/**
 * Parses a user suite: JSONL, one task per line (blank lines and lines starting with `#` skipped).
 * Errors: UsageError naming the line for invalid JSON, a task that fails the schema, a duplicate
 * id, or a path outside the task folder.
 */
export function parseSuite(text: string, source = "suite"): EvalTask[] {
  const tasks: EvalTask[] = [];
  const ids = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `${source}:${index + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new UsageError(`${where}: not JSON (${error instanceof Error ? error.message : String(error)})`, {
        hint: "a suite is JSONL: one task object per line",
      });
    }
    const parsed = evalTaskSchema.safeParse(json);
    if (!parsed.success) {
      const problem = parsed.error.issues[0];
      throw new UsageError(
        `${where}: ${problem?.path.join(".") || "task"}: ${problem?.message ?? "invalid"}`,
        {
          hint: "each task needs {id, language, instruction, files: {path: content}, test}",
        },
      );
    }
    const task = parsed.data;
    if (ids.has(task.id)) throw new UsageError(`${where}: duplicate task id '${task.id}'`);
    ids.add(task.id);
    for (const path of [
      ...Object.keys(task.files),
      ...Object.keys(task.hidden_files ?? {}),
      ...(task.target ? [task.target] : []),
    ]) {
      if (!normalizeRepoPath(path))
        throw new UsageError(`${where}: path '${path}' is outside the task folder`);
    }
    if (Object.keys(task.files).length === 0 && !task.target) {
      throw new UsageError(`${where}: task '${task.id}' has no files and no target`);
    }
    tasks.push(task);
  }
  if (tasks.length === 0) throw new UsageError(`${source}: no tasks`);
  return tasks;
}

/** Reads and parses a suite file. */
export function loadSuiteFile(path: string): EvalTask[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `--suite: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      { hint: "--suite takes builtin, adaptive or a suite file (relative to the current folder)" },
    );
  }
  return parseSuite(text, path);
}
