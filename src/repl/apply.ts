/**
 * /apply and /undo. /apply writes the last run's accepted files through app/run's applyChanges
 * (atomic, all chosen files or none; a file changed on disk since the run read it is refused, as
 * with `run --apply`) and records each file's content before and after; /undo puts the
 * pre-images back atomically, refusing when any of the files changed since the /apply.
 */
import { type ApplyDecision, type ApplyOutcome, applyChanges } from "../app/run.js";
import { readRepoFile, renderFileDiff, writeChangesAtomically } from "../edits/index.js";
import { UsageError } from "../errors.js";
import type { ChangedFile } from "../pipeline/hooks.js";
import { ask } from "./ask.js";
import type { LastRun, Session } from "./session.js";

/** Where one accepted change of the last run stands on disk right now. */
export type DiskState = "applied" | "not applied" | "changed";

/**
 * Compares every accepted change of `last` with the disk now: "applied" when the file holds the
 * change's after content (null: the file is absent), "not applied" when it holds the before
 * content, "changed" when it holds neither (edited since, or unreadable). Also keeps
 * `last.pending` true to the disk, whatever happened outside the REPL: a file back at its before
 * content is pending again (so /apply offers it), one already holding the after content is not.
 * Returns [file, state] pairs in the order of `last.result.applicable`.
 */
export function compareWithDisk(last: LastRun): Array<{ file: string; state: DiskState }> {
  const states = last.result.applicable.map((change) => {
    let now: string | null | undefined;
    try {
      now = readRepoFile(last.repoRoot, change.file);
    } catch {
      now = undefined; // binary, not a regular file, or unsafe now: neither before nor after
    }
    const state: DiskState =
      now === change.after ? "applied" : now === change.before ? "not applied" : "changed";
    return { file: change.file, state, change };
  });
  const pending = new Set(last.pending.map((change) => change.file));
  last.pending = [
    ...last.pending.filter((change) => states.find((item) => item.file === change.file)?.state !== "applied"),
    ...states
      .filter((item) => item.state === "not applied" && !pending.has(item.file))
      .map((item) => item.change),
  ];
  return states.map(({ file, state }) => ({ file, state }));
}

function lineCounts(change: ChangedFile): string {
  const before = change.before === null ? [] : change.before.split("\n");
  const after = change.after === null ? [] : change.after.split("\n");
  const kind = change.before === null ? " (new)" : change.after === null ? " (deleted)" : "";
  const removed = before.filter((line) => !after.includes(line)).length;
  const added = after.filter((line) => !before.includes(line)).length;
  return `+${added} −${removed}${kind}`;
}

/** Prints what an apply wrote, skipped and refused; records what was written for /undo. */
export function describeApply(session: Session, applied: ApplyOutcome, changes: ChangedFile[]): void {
  const { output } = session;
  const last = session.lastRun;
  if (applied.written.length > 0) {
    output.note(output.paint.green(`wrote ${applied.written.join(", ")}`));
    const files = changes.filter((change) => applied.written.includes(change.file));
    if (last) {
      session.applied.push({ repoRoot: last.repoRoot, files, at: Date.now() });
      last.pending = last.pending.filter((change) => !applied.written.includes(change.file));
    }
  }
  if (applied.skipped.length > 0) output.note(`not written: ${applied.skipped.join(", ")}`);
  if (applied.conflicts.length > 0)
    output.warn(`changed on disk since the run read them, not written: ${applied.conflicts.join(", ")}`);
  if (applied.written.length === 0 && applied.skipped.length === 0 && applied.conflicts.length === 0)
    output.note("nothing to write");
}

export async function applyInRepl(session: Session): Promise<void> {
  const { output } = session;
  const last = session.lastRun;
  if (!last) throw new UsageError("no run in this session yet", { hint: "/run <task>" });
  compareWithDisk(last); // a file reverted (or written) outside the REPL since
  const changes = last.pending;
  if (changes.length === 0) {
    output.print(
      last.result.applicable.length > 0
        ? "everything is applied already"
        : "the last run has no accepted changes",
    );
    return;
  }
  output.print(`${changes.length} accepted file(s) from run ${last.runId}:`);
  for (const change of changes) output.print(`  ${change.file}  ${output.paint.dim(lineCounts(change))}`);
  const choice = await ask(
    session,
    "Apply? y all · r review each · n none · a always (this session)",
    ["y", "r", "n", "a"],
    {
      cancel: "n",
    },
  );
  if (choice === "n") {
    output.note("nothing written");
    return;
  }
  if (choice === "a") session.autoApply = true;
  let decide: ((change: ChangedFile) => Promise<ApplyDecision>) | undefined;
  if (choice === "r") {
    decide = async (change) => {
      output.print(colourDiff(renderFileDiff(change), session));
      const answer = await ask(
        session,
        `Write ${change.file}? y yes · a this and the rest · n skip · q quit`,
        ["y", "a", "n", "q"],
        {
          cancel: "q",
        },
      );
      return ({ y: "yes", a: "all", n: "no", q: "abort" } as const)[answer as "y" | "a" | "n" | "q"];
    };
  }
  const applied = await applyChanges(last.repoRoot, changes, decide);
  if (applied.aborted) {
    output.note("aborted: nothing written");
    return;
  }
  describeApply(session, applied, changes);
}

function colourDiff(diff: string, session: Session): string {
  const { paint } = session.output;
  return diff
    .trimEnd()
    .split("\n")
    .map((line) =>
      line.startsWith("+") && !line.startsWith("+++")
        ? paint.green(line)
        : line.startsWith("-") && !line.startsWith("---")
          ? paint.red(line)
          : line.startsWith("@@")
            ? paint.cyan(line)
            : line,
    )
    .join("\n");
}

export async function undoLastApply(session: Session): Promise<void> {
  const record = session.applied.at(-1);
  if (!record) throw new UsageError("nothing to undo in this session");
  const changed = record.files.filter((change) => {
    try {
      return readRepoFile(record.repoRoot, change.file) !== change.after;
    } catch {
      return true;
    }
  });
  if (changed.length > 0) {
    throw new UsageError(
      `not undone: changed since /apply wrote them: ${changed.map((change) => change.file).join(", ")}`,
      { hint: "revert those by hand (git diff shows what changed)" },
    );
  }
  writeChangesAtomically(
    record.repoRoot,
    record.files.map((change) => ({ file: change.file, before: change.after, after: change.before })),
  );
  session.applied.pop();
  if (session.lastRun && session.lastRun.repoRoot === record.repoRoot) {
    const pending = session.lastRun.pending.map((change) => change.file);
    session.lastRun.pending.push(...record.files.filter((change) => !pending.includes(change.file)));
  }
  session.output.note(
    session.output.paint.green(`restored ${record.files.map((change) => change.file).join(", ")}`),
  );
}
