/**
 * `repo symbols --json`, streamed: the same text `JSON.stringify({ok: true, symbols: rows}, null, 2)`
 * would print (rows are `{path, name, kind, container, line, end_line, signature}`), written in
 * chunks of about 64 KiB, so the whole document never exists in memory at once. Files from the
 * index carry their rows already in this form (`symbolsJson`) and are copied as they are.
 */
import { encodeSymbols } from "./symbol-codec.js";
import type { IndexedFile } from "./types.js";

const chunkChars = 64 * 1024;

/**
 * Writes the rows of `files` through `write`, in chunks that each end a line; returns how many
 * files had rows.
 */
export function writeSymbolsJson(files: Iterable<IndexedFile>, write: (chunk: string) => void): number {
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
  write(previous === null ? '{\n  "ok": true,\n  "symbols": []\n}\n' : `${buffer}${previous}\n  ]\n}\n`);
  return count;
}
