/**
 * `repo symbols --json`, streamed: the same text `JSON.stringify({ok: true, symbols: rows}, null, 2)`
 * would print (rows are `{path, name, kind, container, line, end_line, signature}`), written in
 * chunks of about 64 KiB as the rows are made, so the whole document never exists in memory at once.
 */
import type { IndexedFile } from "./types.js";

const chunkChars = 64 * 1024;

/** Writes the rows of `files` through `write`; returns how many rows were written. */
export function writeSymbolsJson(files: Iterable<IndexedFile>, write: (chunk: string) => void): number {
  // Every chunk ends with a newline: a row is added with its separator once the next one is known.
  let buffer = '{\n  "ok": true,\n  "symbols": [\n';
  let previous: string | null = null;
  let count = 0;
  for (const file of files) {
    const pathJson = JSON.stringify(file.path);
    for (const symbol of file.symbols) {
      // The text JSON.stringify gives a row inside `symbols` (indent 2), built without the objects.
      const row =
        `    {\n      "path": ${pathJson},\n      "name": ${JSON.stringify(symbol.name)},\n      "kind": ${JSON.stringify(symbol.kind)},\n` +
        `      "container": ${JSON.stringify(symbol.container)},\n      "line": ${symbol.line},\n      "end_line": ${symbol.endLine},\n` +
        `      "signature": ${JSON.stringify(symbol.signature)}\n    }`;
      if (previous !== null) buffer += `${previous},\n`;
      previous = row;
      count++;
      if (buffer.length >= chunkChars) {
        write(buffer);
        buffer = "";
      }
    }
  }
  write(previous === null ? '{\n  "ok": true,\n  "symbols": []\n}\n' : `${buffer}${previous}\n  ]\n}\n`);
  return count;
}
