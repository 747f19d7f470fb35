/**
 * The text sent back to the drafter or reviewer when edits fail: what failed and why, the file's
 * actual lines nearest to what was quoted, and which blocks applied and must not be resent.
 */
import type { ApplyResult, EditOutcome, ParseProblem } from "./types.js";

function blockName(outcome: EditOutcome): string {
  const kind =
    outcome.format === "search-replace"
      ? "SEARCH/REPLACE block"
      : outcome.format === "unified-diff"
        ? "diff"
        : "whole-file block";
  return `${kind} #${outcome.index + 1} for ${outcome.file}`;
}

function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const marker = "`".repeat(longest + 1);
  return `${marker}\n${text}\n${marker}`;
}

/**
 * `problems` are the blocks `parseEdits` could not read; they are reported as failed blocks too,
 * so the model resends them.
 */
export function failureReport(result: ApplyResult, problems: readonly ParseProblem[] = []): string {
  const failed = result.outcomes.filter((outcome) => outcome.status === "failed");
  const applied = result.outcomes.filter((outcome) => outcome.status === "applied");
  const total = result.outcomes.length + problems.length;
  if (failed.length === 0 && problems.length === 0) return `All ${applied.length} edit block(s) applied.`;
  const sections = [`${failed.length + problems.length} of ${total} edit block(s) failed to apply.`];
  for (const problem of problems) {
    sections.push(
      [
        `## Block #${problem.index + 1}: UNREADABLE`,
        `Reason: ${problem.reason}`,
        "It began:",
        fence(problem.excerpt),
      ].join("\n"),
    );
  }
  for (const outcome of failed) {
    const lines = [`## ${blockName(outcome)}: FAILED`, `Reason: ${outcome.reason ?? "unknown"}`];
    if (outcome.didYouMean !== undefined) {
      lines.push(
        `Did you mean these actual lines of ${outcome.file} (from line ${outcome.didYouMeanLine ?? "?"})? Quote them exactly:`,
        fence(outcome.didYouMean),
      );
    }
    sections.push(lines.join("\n"));
  }
  if (applied.length > 0) {
    const names = applied.map(blockName).join(", ");
    sections.push(`These block(s) matched and are kept: ${names}. Do not send them again.`);
  }
  sections.push(
    "Resend only the failed block(s), with the lines to find copied exactly from the current file.",
  );
  return sections.join("\n\n");
}
