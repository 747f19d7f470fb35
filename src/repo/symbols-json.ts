/**
 * `repo symbols --json`, streamed: the same text `JSON.stringify(rows, null, 2)` would print
 * (an array of `{path, name, kind, container, line, end_line, signature}`), written in chunks of
 * about 64 KiB as the rows are made, so the whole document never exists in memory at once.
 */
import type { IndexedFile } from "./types.js";

const chunkChars = 64 * 1024;

/** Writes the rows of `files` through `write`; returns how many rows were written. */
export function writeSymbolsJson(files: Iterable<IndexedFile>, write: (chunk: string) => void): number {
  // Every chunk ends with a newline: a row is added with its separator once the next one is known.
  let buffer = "[\n";
  let previous: string | null = null;
  let count = 0;
  for (const file of files) {
    for (const symbol of file.symbols) {
      const row = {
        path: file.path,
        name: symbol.name,
        kind: symbol.kind,
        container: symbol.container,
        line: symbol.line,
        end_line: symbol.endLine,
        signature: symbol.signature,
      };
      if (previous !== null) buffer += `${previous},\n`;
      previous = JSON.stringify(row, null, 2).replace(/^/gm, "  ");
      count++;
      if (buffer.length >= chunkChars) {
        write(buffer);
        buffer = "";
      }
    }
  }
  write(previous === null ? "[]\n" : `${buffer}${previous}\n]\n`);
  return count;
}
