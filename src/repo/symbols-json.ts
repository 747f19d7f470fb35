/**
 * `repo symbols --json`, streamed: the same text `JSON.stringify({ok: true, symbols: rows}, null, 2)`
 * would print (rows are `{path, name, kind, container, line, end_line, signature}`), written in
 * chunks of about 64 KiB, so the whole document never exists in memory at once. Files from the
 * index carry their rows already in this form (`symbolsJson`) and are copied as they are. Named
 * files the index left out follow as `"skipped": [{path, reason}]` (only when there are any).
 */
import { encodeSymbols } from "./symbol-codec.js";
import type { IndexedFile } from "./types.js";

const chunkChars = 64 * 1024;

/**
 * Writes the rows of `files` through `write`, in chunks that each end a line; returns how many
 * files had rows.
 */
export function writeSymbolsJson(
  files: Iterable<IndexedFile>,
  write: (chunk: string) => void,
  skipped: ReadonlyArray<{ path: string; reason: string }> = [],
): number {
  let buffer = '{\n  "ok": true,\n  "symbols": [\n';
  // The last file's rows wait until the next one shows whether a comma follows them.
  let previous: string | null = null;
  let count = 0;
  for (const file of files) {
    const rows = file.symbolsJson ?? encodeSymbols(file.path, file.symbols);
    if (rows === "") continue;
    if (previous !== null) buffer += `${previous},\n`;
    previous = rows;
    count++;
    if (buffer.length >= chunkChars) {
      write(buffer);
      buffer = "";
    }
  }
  // Named files the index left out (`skipped: [{ path, reason }]`), only when there are any.
  const tail =
    skipped.length === 0
      ? ""
      : `,\n  "skipped": ${JSON.stringify(skipped, null, 2).split("\n").join("\n  ")}`;
  write(
    previous === null
      ? `{\n  "ok": true,\n  "symbols": []${tail}\n}\n`
      : `${buffer}${previous}\n  ]${tail}\n}\n`,
  );
  return count;
}
