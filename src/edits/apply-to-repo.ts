/**
 * One call for "apply this model reply to this repository": parse, apply in memory against the
 * files on disk, render the diff and (unless dry-run) write everything atomically. Shared by the
 * `patch apply` command and anything else that applies a reply directly.
 */
import { UsageError } from "../errors.js";
import { applyEditsInMemory } from "./apply.js";
import { parseEdits } from "./parse.js";
import { renderUnifiedDiff } from "./render-diff.js";
import { readRepoFile } from "./repo-files.js";
import type { EditOutcome, FileChange, ParsedEdit, ParseProblem } from "./types.js";
import { writeChangesAtomically } from "./write-changes.js";

export interface RepoApplyOptions {
  dryRun?: boolean;
  partial?: boolean;
  knownFiles?: string[];
  defaultFile?: string;
  /** Environment locating the state folder (write journal); default process.env. */
  env?: Record<string, string | undefined>;
}

export interface RepoApplyReport {
  /** Every edit applied and the reply had no unreadable edit blocks. */
  ok: boolean;
  written: boolean;
  edits: ParsedEdit[];
  outcomes: EditOutcome[];
  problems: ParseProblem[];
  changes: FileChange[];
  diff: string;
}

export function applyReplyToRepo(
  repoRoot: string,
  reply: string,
  options: RepoApplyOptions = {},
): RepoApplyReport {
  const parsed = parseEdits(reply, {
    ...(options.knownFiles ? { knownFiles: options.knownFiles } : {}),
    ...(options.defaultFile ? { defaultFile: options.defaultFile } : {}),
  });
  if (parsed.edits.length === 0) {
    const reasons = parsed.problems.map((problem) => `block ${problem.index + 1}: ${problem.reason}`);
    throw new UsageError("no edits found in the input", {
      hint:
        reasons.length > 0
          ? reasons.join("; ")
          : "expected SEARCH/REPLACE blocks, a unified diff or fenced whole files with their paths",
      details: { problems: parsed.problems },
    });
  }
  const result = applyEditsInMemory(parsed.edits, (file) => readRepoFile(repoRoot, file), {
    partial: options.partial ?? false,
  });
  const ok = result.ok && parsed.problems.length === 0;
  const changes = ok || options.partial ? result.changes : [];
  const diff = renderUnifiedDiff(changes);
  const written = !options.dryRun && changes.length > 0;
  if (written) writeChangesAtomically(repoRoot, changes, options.env ? { env: options.env } : {});
  return {
    ok,
    written,
    edits: parsed.edits,
    outcomes: result.outcomes,
    problems: parsed.problems,
    changes,
    diff,
  };
}
