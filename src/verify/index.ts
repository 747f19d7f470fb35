/**
 * The verify loop's engine: runs the project's test command in an isolated worktree, once as a
 * baseline and then after each set of accepted edits, and reports failures tightly.
 */
import { UsageError } from "../errors.js";
import type { ChangedFile, Verifier, VerifyOutcome } from "../pipeline/hooks.js";
import { detectVerifyCommand } from "./detect-command.js";
import { buildFailureReport } from "./failure-report.js";
import { runCommand } from "./run-command.js";
import { createIsolatedWorktree, type IsolatedWorktree } from "./worktree.js";

export { type DetectedCommand, detectVerifyCommand } from "./detect-command.js";
export { buildFailureReport, parseFailures, stripAnsi, trimExcerpt } from "./failure-report.js";
export { type CommandRun, runCommand } from "./run-command.js";
export {
  cleanStaleSandboxes,
  createIsolatedWorktree,
  type IsolatedWorktree,
  type StaleSandboxCleanup,
} from "./worktree.js";

export interface VerifierOptions {
  repoRoot: string;
  command: string;
  timeoutSeconds: number;
  env?: Record<string, string | undefined>;
}

export interface VerifierFromOptions {
  repoRoot: string;
  /** A command, or `true` to auto-detect one from the project's manifests. */
  command?: string | true;
  timeoutSeconds: number;
  env?: Record<string, string | undefined>;
}

export async function createVerifierFromOptions(options: VerifierFromOptions): Promise<Verifier> {
  let command = typeof options.command === "string" ? options.command.trim() : "";
  if (!command) {
    const detected = detectVerifyCommand(options.repoRoot);
    if (!detected) {
      throw new UsageError("--verify was given without a command and none could be detected", {
        hint: 'pass one (--verify "npm test") or set policy.verify_command in .hierocode.yaml',
      });
    }
    command = detected.command;
  }
  return createVerifier({
    repoRoot: options.repoRoot,
    command,
    timeoutSeconds: options.timeoutSeconds,
    ...(options.env ? { env: options.env } : {}),
  });
}

export interface VerifierForRunOptions {
  repoRoot: string;
  /** The --verify flag: a command, true when given bare, false for --no-verify, undefined when absent. */
  flag: string | boolean | undefined;
  policy: { verify_command?: string | undefined; verify_timeout_seconds: number };
  env?: Record<string, string | undefined>;
}

/**
 * Decides whether a run verifies, and with what: `--verify "<cmd>"` wins; bare `--verify` uses
 * policy.verify_command or auto-detects; no flag verifies only when policy.verify_command is set.
 */
export async function verifierForRun(options: VerifierForRunOptions): Promise<Verifier | undefined> {
  const { flag, policy } = options;
  if (flag === false) return undefined;
  const configured = policy.verify_command?.trim() || undefined;
  let command: string | true | undefined;
  if (typeof flag === "string" && flag.trim()) command = flag;
  else if (flag === true || typeof flag === "string") command = configured ?? true;
  else command = configured;
  if (command === undefined) return undefined;
  return createVerifierFromOptions({
    repoRoot: options.repoRoot,
    command,
    timeoutSeconds: policy.verify_timeout_seconds,
    ...(options.env ? { env: options.env } : {}),
  });
}

export function createVerifier(options: VerifierOptions): Verifier {
  let worktree: IsolatedWorktree | null = null;
  /** Files the last verify() changed, with their baseline contents, so the next one starts clean. */
  let touched = new Map<string, string | null>();
  let disposed = false;

  const ensureWorktree = (): IsolatedWorktree => {
    if (disposed) throw new Error("verifier already disposed");
    if (!worktree?.isAlive()) {
      // first use, or a signal handler removed it while the caller kept going
      worktree = createIsolatedWorktree(options.repoRoot);
      touched = new Map();
    }
    return worktree;
  };

  const restoreBaseline = (tree: IsolatedWorktree) => {
    for (const [file, content] of touched) tree.writeFile(file, content);
    touched = new Map();
  };

  const run = async (tree: IsolatedWorktree, signal?: AbortSignal): Promise<VerifyOutcome> => {
    const result = await runCommand({
      command: options.command,
      cwd: tree.path,
      timeoutMs: options.timeoutSeconds * 1000,
      // the sandbox's own git config and marker win over anything inherited
      env: { ...(options.env ?? {}), ...tree.env },
      marker: tree.marker,
      ...(signal ? { signal } : {}),
    });
    if (result.aborted) {
      const error = new Error("verification cancelled");
      error.name = "AbortError";
      throw error;
    }
    const ok = result.exitCode === 0 && !result.timedOut;
    const failure = ok
      ? { report: "", failingTests: [] }
      : buildFailureReport({
          command: options.command,
          exitCode: result.exitCode,
          timedOut: result.timedOut,
          timeoutSeconds: options.timeoutSeconds,
          output: result.output,
        });
    return {
      ok,
      command: options.command,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      report: failure.report,
      failingTests: failure.failingTests,
    };
  };

  return {
    command: options.command,
    async baseline(signal) {
      const tree = ensureWorktree();
      restoreBaseline(tree);
      return run(tree, signal);
    },
    async verify(changes: ChangedFile[], signal) {
      const tree = ensureWorktree();
      restoreBaseline(tree);
      for (const change of changes) {
        if (!touched.has(change.file)) touched.set(change.file, tree.readFile(change.file));
        tree.writeFile(change.file, change.after);
      }
      return run(tree, signal);
    },
    newFailures(outcome, baseline) {
      if (outcome.ok) return [];
      // A run that timed out proves nothing: never "verified", never "as failing as before".
      if (outcome.timedOut) return [`${outcome.command} (timed out after ${options.timeoutSeconds}s)`];
      if (baseline.timedOut) {
        // Without a baseline every failure counts as new.
        return outcome.failingTests.length > 0
          ? outcome.failingTests
          : [`${outcome.command} (exit ${outcome.exitCode ?? "signal"}; the baseline run timed out)`];
      }
      if (outcome.failingTests.length > 0) {
        const before = new Set(baseline.failingTests);
        return outcome.failingTests.filter((test) => !before.has(test));
      }
      // Unparseable failure: blame the draft only when the baseline was green.
      return baseline.ok ? [`${outcome.command} (exit ${outcome.exitCode ?? "signal"})`] : [];
    },
    async dispose() {
      disposed = true;
      worktree?.dispose();
      worktree = null;
    },
  };
}
