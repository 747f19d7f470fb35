/**
 * `repo symbols --json` for a whole repository, from a snapshot when nothing changed: the walk
 * (stat calls only) gives every source file's identity — path, size, mtime, ctime, inode,
 * language, junk verdict — and when that list equals the one stored with the last printed output
 * (same index format, and every timestamp older than the snapshot by the racy-git window), the
 * stored rows are printed as they are: no per-file row is read, nothing is decoded, the parser is
 * never loaded. Otherwise the incremental index runs on the same walk, its output is printed and
 * saved as the new snapshot (unless a file could not be read: those are retried next run).
 */
import { openIndexDatabase } from "../store/database.js";
import { IndexStore, indexFormatVersion } from "./index-store.js";
import { indexRepo, racyWindowMs, repoKey } from "./indexer.js";
import { writeSymbolsJson } from "./symbols-json.js";
import type { IndexedFile } from "./types.js";
import { type WalkedFile, walkRepo } from "./walk.js";

/** One line per walked source file; a rename, edit, replace, touch or ignore change alters it. */
export function identityText(files: readonly WalkedFile[]): { text: string; newestMs: number } {
  let text = "";
  let newestMs = 0;
  for (const file of files) {
    text += `${file.path}\u0000${file.size}\u0000${file.mtimeMs}\u0000${file.ctimeMs}\u0000${file.ino}\u0000${file.language}\u0000${file.junk}\n`;
    if (file.mtimeMs > newestMs) newestMs = file.mtimeMs;
    if (file.ctimeMs > newestMs) newestMs = file.ctimeMs;
  }
  return { text, newestMs };
}

/** The rows of `files` joined as `repo symbols --json` prints them inside `"symbols": [ … ]`. */
function rowsOf(files: readonly IndexedFile[]): string {
  const parts: string[] = [];
  for (const file of files) {
    if (!file.language || file.symbolsJson === undefined || file.symbolsJson === "") continue;
    parts.push(file.symbolsJson);
  }
  return parts.join(",\n");
}

/** The whole document around stored rows (UTF-8 bytes, copied as they are). */
function writeRows(rows: Uint8Array, write: (chunk: string | Uint8Array) => void): void {
  if (rows.length === 0) {
    write('{\n  "ok": true,\n  "symbols": []\n}\n');
    return;
  }
  write('{\n  "ok": true,\n  "symbols": [\n');
  write(rows);
  write("\n  ]\n}\n");
}

export interface SnapshotRun {
  /** Whether the stored snapshot was printed (nothing changed). */
  fromSnapshot: boolean;
}

/**
 * Prints `{ok: true, symbols: [...]}` for every source file of `repoRoot` through `write` — the
 * same text `writeSymbolsJson` gives for `indexRepo`'s files. Chunks are strings or UTF-8 bytes,
 * to be written as they are (no newline added).
 */
export async function writeRepoSymbolsJson(
  repoRoot: string,
  options: { env?: Record<string, string | undefined>; now?: () => number },
  write: (chunk: string | Uint8Array) => void,
): Promise<SnapshotRun> {
  const walk = walkRepo(repoRoot, { sourceOnly: true });
  const { text: identities, newestMs } = identityText(walk.files);
  const env = options.env ?? process.env;
  const store = new IndexStore(openIndexDatabase(env), repoKey(repoRoot));
  const snapshot = store.loadSnapshot();
  if (
    snapshot !== null &&
    snapshot.format === indexFormatVersion &&
    newestMs + racyWindowMs <= snapshot.writtenAtMs &&
    snapshot.identities === identities
  ) {
    writeRows(snapshot.rows, write);
    return { fromSnapshot: true };
  }
  const result = await indexRepo(repoRoot, {
    env,
    sourceOnly: true,
    withReferences: false,
    walk,
    ...(options.now ? { now: options.now } : {}),
  });
  writeSymbolsJson(result.files, write);
  if (result.unreadable === 0)
    store.saveSnapshot(identities, rowsOf(result.files), (options.now ?? Date.now)());
  return { fromSnapshot: false };
}
