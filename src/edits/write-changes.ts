/**
 * Writes a change set all or nothing. Every new content goes to a temp file beside its target
 * first; only when all temp files exist are originals moved aside and temps renamed into place.
 * Any failure puts every original back and removes temps and folders this call created.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { ExitCode, HierocodeError } from "../errors.js";
import { tempPathFor } from "../util/atomic-write.js";
import { readRepoFile, resolveWritablePath } from "./repo-files.js";
import type { FileChange } from "./types.js";

export interface WriteFileSystem {
  rename(from: string, to: string): void;
}

interface Plan {
  change: FileChange;
  path: string;
  temp?: string;
  backup?: string;
  placed?: boolean;
}

function tryQuietly(action: () => void): void {
  try {
    action();
  } catch {
    // best effort during cleanup: the original error is what gets reported
  }
}

function makeFolders(folder: string, created: string[]): void {
  const missing: string[] = [];
  let current = folder;
  for (;;) {
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
  for (const path of missing) {
    mkdirSync(path);
    created.push(path);
  }
}

function writeTemp(path: string, content: string): string {
  let mode = 0o644;
  tryQuietly(() => {
    mode = statSync(path).mode & 0o7777;
  });
  const temp = tempPathFor(path);
  const descriptor = openSync(temp, "wx", mode);
  try {
    writeSync(descriptor, Buffer.from(content, "utf8"));
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  return temp;
}

export function writeChangesAtomically(
  repoRoot: string,
  changes: FileChange[],
  fileSystem: WriteFileSystem = { rename: renameSync },
): void {
  const plans: Plan[] = changes.map((change) => {
    const path = resolveWritablePath(repoRoot, change.file);
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
    return { change, path };
  });
  const createdFolders: string[] = [];
  try {
    for (const plan of plans) {
      if (plan.change.after === null) continue;
      makeFolders(dirname(plan.path), createdFolders);
      plan.temp = writeTemp(plan.path, plan.change.after);
    }
    for (const plan of plans) {
      if (plan.change.before !== null) {
        const backup = `${tempPathFor(plan.path)}.orig`;
        fileSystem.rename(plan.path, backup);
        plan.backup = backup;
      }
      if (plan.temp !== undefined) {
        fileSystem.rename(plan.temp, plan.path);
        plan.temp = undefined;
        plan.placed = true;
      }
    }
  } catch (error) {
    for (const plan of [...plans].reverse()) {
      if (plan.placed) tryQuietly(() => unlinkSync(plan.path));
      if (plan.backup !== undefined) {
        const backup = plan.backup;
        tryQuietly(() => renameSync(backup, plan.path));
      }
      if (plan.temp !== undefined) {
        const temp = plan.temp;
        tryQuietly(() => unlinkSync(temp));
      }
    }
    for (const folder of createdFolders.reverse()) tryQuietly(() => rmdirSync(folder));
    throw new HierocodeError(
      "write_failed",
      `could not write the changes (${error instanceof Error ? error.message : String(error)}); no file was changed`,
      ExitCode.editsFailed,
      {
        cause: error,
      },
    );
  }
  for (const plan of plans) {
    if (plan.backup !== undefined) {
      const backup = plan.backup;
      tryQuietly(() => unlinkSync(backup));
    }
  }
}
