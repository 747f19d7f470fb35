/**
 * Writes a change set all or nothing, through the write-ahead journal of `journal.ts`: every
 * original is saved under the state folder and every new content written to a temp file beside
 * its target before any target changes; then the temps are renamed into place. A failure rolls
 * everything back in-process; a kill at any point is completed or rolled back by the next
 * hierocode command in the repository (`recoverInterruptedWrites`). No `.orig` files are made.
 */
import { lstatSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { ExitCode, HierocodeError } from "../errors.js";
import {
  type JournalHooks,
  journalledWrite,
  type PlannedWrite,
  recoverInterruptedWrites,
  SimulatedCrash,
} from "./journal.js";
import { checkTextContent } from "./path-rules.js";
import { readRepoFile, resolveWritablePath } from "./repo-files.js";
import type { FileChange } from "./types.js";

/** The rename used to place files; tests inject a failing one. */
export interface WriteFileSystem {
  rename(from: string, to: string): void;
}

export interface WriteOptions extends Partial<WriteFileSystem> {
  /** Environment for the state folder that holds the journal (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Test hook: called before each journal step; throw `SimulatedCrash` to stop like a kill. */
  onStep?: JournalHooks["onStep"];
}

function missingFolders(folder: string, planned: Set<string>): string[] {
  const missing: string[] = [];
  let current = folder;
  for (;;) {
    if (planned.has(current)) break;
    try {
      statSync(current);
      break;
    } catch {
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  return missing;
}

/**
 * Writes `changes` (repository-relative; `before` must match the disk, `after: null` deletes)
 * atomically as a set. Throws `file_changed` (exit 9) when a file no longer holds `before` and
 * `write_failed` (exit 9) when the disk refuses; in both cases no file was changed. Interrupted
 * writes of this repository are recovered first, so a new write never races an old journal.
 */
export function writeChangesAtomically(
  repoRoot: string,
  changes: FileChange[],
  options: WriteOptions = {},
): void {
  const env = options.env ?? process.env;
  recoverInterruptedWrites(repoRoot, env);
  const planned = new Set<string>();
  const foldersToCreate: string[] = [];
  const writes: PlannedWrite[] = changes.map((change) => {
    const path = resolveWritablePath(repoRoot, change.file);
    if (change.after !== null) checkTextContent(change.file, change.after);
    if (readRepoFile(repoRoot, change.file) !== change.before) {
      throw new HierocodeError(
        "file_changed",
        `${change.file} changed on disk since the edits were computed; nothing was written`,
        ExitCode.editsFailed,
        {
          details: { file: change.file },
        },
      );
    }
    let original: Uint8Array | null = null;
    let mode = 0o644;
    if (change.before !== null) {
      original = readFileSync(path);
      mode = lstatSync(path).mode & 0o7777;
    }
    if (change.after !== null) {
      for (const folder of missingFolders(dirname(path), planned)) {
        planned.add(folder);
        foldersToCreate.push(folder);
      }
    }
    return {
      file: change.file,
      path,
      after: change.after === null ? null : Buffer.from(change.after, "utf8"),
      original,
      mode,
    };
  });
  try {
    journalledWrite(repoRoot, writes, {
      env,
      foldersToCreate,
      hooks: {
        ...(options.rename ? { rename: options.rename } : {}),
        ...(options.onStep ? { onStep: options.onStep } : {}),
      },
    });
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    throw new HierocodeError(
      "write_failed",
      `could not write the changes (${error instanceof Error ? error.message : String(error)}); no file was changed`,
      ExitCode.editsFailed,
      {
        cause: error,
      },
    );
  }
}
