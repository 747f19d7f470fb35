/**
 * The pipeline's view of the edit engine (src/edits): one reply in, changes or a report for the
 * drafter out. Edits to files the unit does not target are refused rather than applied, and
 * unreadable blocks are reported, never guessed.
 */
import { applyEditsInMemory, failureReport, parseEdits, renderUnifiedDiff } from "../edits/index.js";
import type { EditAttempt, EditEngine } from "./ports.js";

export const defaultEditEngine: EditEngine = {
  apply(reply, options): EditAttempt {
    const parsed = parseEdits(reply, {
      ...(options.defaultFile ? { defaultFile: options.defaultFile } : {}),
      knownFiles: options.allowedFiles,
    });
    const allowed = new Set(options.allowedFiles);
    const outside = parsed.edits.filter((edit) => !allowed.has(edit.file));
    const edits = parsed.edits.filter((edit) => allowed.has(edit.file));
    const problems: string[] = [];
    for (const problem of parsed.problems)
      problems.push(`Block #${problem.index + 1} could not be read: ${problem.reason}`);
    for (const edit of outside) {
      problems.push(
        `Block #${edit.index + 1} edits ${edit.file}, which this unit may not change (targets: ${options.allowedFiles.join(", ")}).`,
      );
    }
    if (edits.length === 0) {
      return {
        ok: false,
        changes: [],
        editCount: 0,
        report: [
          "No applicable edit was found in your reply.",
          ...problems,
          "Answer with edits in the requested format: the file path on its own line, then a fenced block.",
        ].join("\n"),
      };
    }
    const result = applyEditsInMemory(edits, options.read);
    const ok = result.ok && problems.length === 0;
    return {
      ok,
      changes: result.changes,
      editCount: parsed.edits.length,
      report: ok ? "" : [result.ok ? "" : failureReport(result), ...problems].filter(Boolean).join("\n\n"),
    };
  },
  diff(changes) {
    return renderUnifiedDiff(changes);
  },
};
