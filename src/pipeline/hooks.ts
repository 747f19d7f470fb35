/**
 * Contracts between the pipeline and the deterministic stages around the models: checks that
 * run before the reviewer is paid, and the verify loop that runs the project's tests.
 * The pipeline depends only on these types; implementations live in src/checks and src/verify.
 */

/** One file as the pipeline sees it: content before the task and after the accepted edits. */
export interface ChangedFile {
  file: string;
  before: string | null;
  after: string | null;
}

export type CheckSeverity = "error" | "warning";

export interface CheckFinding {
  /** "syntax" | "dependency" | "manifest" | "secret" | "size" | … */
  check: string;
  severity: CheckSeverity;
  file: string;
  line?: number;
  message: string;
}

/**
 * Deterministic checks on a draft. Findings with severity "error" (e.g. a parse error the draft
 * introduced) send the draft straight back to the drafter; warnings are shown to the reviewer
 * and to the user.
 */
export interface DraftChecker {
  check(repoRoot: string, changes: ChangedFile[]): Promise<CheckFinding[]>;
}

export interface VerifyOutcome {
  ok: boolean;
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Trimmed output focused on the failures (what the reviewer and drafter read). */
  report: string;
  /** Test identifiers that failed, when the output could be parsed. */
  failingTests: string[];
}

/**
 * Runs the verify command in an isolated git worktree. `baseline()` runs it once before any edit
 * so tests that already fail are not blamed on the drafter; `verify(changes)` applies the given
 * changes in a fresh worktree state and runs it again. `dispose()` removes the worktree (also
 * called on Ctrl-C).
 */
export interface Verifier {
  readonly command: string;
  baseline(signal?: AbortSignal): Promise<VerifyOutcome>;
  verify(changes: ChangedFile[], signal?: AbortSignal): Promise<VerifyOutcome>;
  /** Failures in `outcome` that were not already failing at baseline. */
  newFailures(outcome: VerifyOutcome, baseline: VerifyOutcome): string[];
  dispose(): Promise<void>;
}
