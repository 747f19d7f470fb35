/**
 * The repository as the pipeline sees it while units run: the files on disk plus every change
 * accepted so far. Nothing is written to disk until the user applies the result.
 */
import type { ChangedFile } from "./hooks.js";

export class Overlay {
  private readonly accepted = new Map<string, string | null>();
  private readonly original = new Map<string, string | null>();

  private readonly readDisk: (path: string) => string | null;

  constructor(readDisk: (path: string) => string | null) {
    this.readDisk = readDisk;
  }

  read = (path: string): string | null => {
    if (this.accepted.has(path)) return this.accepted.get(path) ?? null;
    return this.originalContent(path);
  };

  originalContent(path: string): string | null {
    if (!this.original.has(path)) this.original.set(path, this.readDisk(path));
    return this.original.get(path) ?? null;
  }

  commit(changes: readonly ChangedFile[]): void {
    for (const change of changes) {
      this.originalContent(change.file);
      this.accepted.set(change.file, change.after);
    }
  }

  /** Every file changed so far, before = on disk, after = with all accepted edits. */
  changes(): ChangedFile[] {
    const out: ChangedFile[] = [];
    for (const [file, after] of this.accepted) {
      const before = this.originalContent(file);
      if (before !== after) out.push({ file, before, after });
    }
    return out.sort((a, b) => a.file.localeCompare(b.file));
  }
}

/** Composes two change lists made one after the other (second relative to the first's result). */
export function composeChanges(first: readonly ChangedFile[], second: readonly ChangedFile[]): ChangedFile[] {
  const byFile = new Map(first.map((change) => [change.file, { ...change }]));
  for (const change of second) {
    const existing = byFile.get(change.file);
    if (existing) existing.after = change.after;
    else byFile.set(change.file, { ...change });
  }
  return [...byFile.values()].filter((change) => change.before !== change.after);
}

/**
 * The changes of a subset of units: for each file, the units that touched it in acceptance order
 * are followed while they are in the subset; a unit outside it stops the file there (its later
 * edits were made on top of content the subset does not include).
 */
export function changesForUnits(
  accepted: ReadonlyArray<{ id: string; changes: readonly ChangedFile[] }>,
  include: (id: string) => boolean,
): ChangedFile[] {
  const byFile = new Map<string, ChangedFile>();
  const stopped = new Set<string>();
  for (const unit of accepted) {
    for (const change of unit.changes) {
      if (stopped.has(change.file)) continue;
      if (!include(unit.id)) {
        stopped.add(change.file);
        continue;
      }
      const existing = byFile.get(change.file);
      if (existing) existing.after = change.after;
      else byFile.set(change.file, { ...change });
    }
  }
  return [...byFile.values()]
    .filter((change) => change.before !== change.after)
    .sort((a, b) => a.file.localeCompare(b.file));
}
