/**
 * The pipeline's view of the edit engine (src/edits): one reply in, changes or a report for the
 * drafter out. Edits to files the unit does not target are refused rather than applied, and
 * unreadable blocks are reported, never guessed.
 */
import { applyEditsInMemory, failureReport, parseEdits, renderUnifiedDiff } from "../edits/index.js";
import type { EditAttempt, EditEngine } from "./ports.js";

const placeholderPattern = /\[REDACTED_SECRET_\d+\]/g;

/**
 * Secret placeholders (`[REDACTED_SECRET_n]`, src/checks/redact.ts SecretVault) that a change
 * would add to a file: present in `after` more often than in `before`. Placeholders the run's
 * vault issued were already restored in the reply (ModelCaller), so any left is one the model
 * invented or the vault never issued; writing it would replace the user's secret.
 */
export function unrestoredPlaceholders(
  changes: ReadonlyArray<{ file: string; before: string | null; after: string | null }>,
): Array<{ file: string; placeholder: string }> {
  const found: Array<{ file: string; placeholder: string }> = [];
  for (const change of changes) {
    if (change.after === null || !change.after.includes("[REDACTED_SECRET_")) continue;
    const count = (text: string | null, value: string) => (text ?? "").split(value).length - 1;
    for (const placeholder of new Set(change.after.match(placeholderPattern) ?? [])) {
      if (count(change.after, placeholder) > count(change.before, placeholder))
        found.push({ file: change.file, placeholder });
    }
  }
  return found;
}

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
    const leftover = unrestoredPlaceholders(result.changes);
    if (leftover.length > 0) {
      // A remote model saw `[REDACTED_SECRET_n]` instead of a secret; the caller put back every
      // placeholder it issued. One still here would be written into the user's file: refuse.
      return {
        ok: false,
        changes: [],
        editCount: parsed.edits.length,
        report: [
          ...leftover.map(
            ({ file, placeholder }) =>
              `Your edit writes ${placeholder} into ${file}: it stands for a secret you were not shown, and the file must never hold the placeholder.`,
          ),
          "Leave lines that hold a secret placeholder out of your edits, or copy them exactly as shown (the real value is put back before writing).",
          ...problems,
        ].join("\n"),
      };
    }
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
