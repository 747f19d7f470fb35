/**
 * Symbols as the index store keeps them and workers send them: one string per file, holding the
 * file's rows exactly as `repo symbols --json` prints them. A warm `repo symbols --json` then
 * writes the stored strings one after another — no parse, no objects — and everything else
 * decodes them (one `JSON.parse`) only when it reads a file's symbols.
 *
 * A row is the text `JSON.stringify({ok: true, symbols: rows}, null, 2)` gives one element of
 * `symbols` (indent 4): `{path, name, kind, container, line, end_line, signature}`. Rows are
 * joined by ",\n"; a file without symbols is "".
 */
import type { IndexedFile, RepoSymbol, SymbolKind } from "./types.js";

/** One symbol's row, as printed inside `"symbols": [ … ]`. `pathJson` is `JSON.stringify(path)`. */
export function symbolRow(pathJson: string, symbol: RepoSymbol): string {
  return (
    `    {\n      "path": ${pathJson},\n      "name": ${JSON.stringify(symbol.name)},\n      "kind": ${JSON.stringify(symbol.kind)},\n` +
    `      "container": ${JSON.stringify(symbol.container)},\n      "line": ${symbol.line},\n      "end_line": ${symbol.endLine},\n` +
    `      "signature": ${JSON.stringify(symbol.signature)}\n    }`
  );
}

/** The stored form of one file's symbols (see the module comment). */
export function encodeSymbols(path: string, symbols: readonly RepoSymbol[]): string {
  const pathJson = JSON.stringify(path);
  return symbols.map((symbol) => symbolRow(pathJson, symbol)).join(",\n");
}

interface PrintedRow {
  name: string;
  kind: SymbolKind;
  container: string | null;
  signature: string;
  line: number;
  end_line: number;
}

/** The symbols of a stored string, in order. Throws SyntaxError on text `encodeSymbols` did not write. */
export function decodeSymbols(text: string): RepoSymbol[] {
  if (text === "") return [];
  return (JSON.parse(`[${text}]`) as PrintedRow[]).map((row) => ({
    name: row.name,
    kind: row.kind,
    container: row.container,
    signature: row.signature,
    line: row.line,
    endLine: row.end_line,
  }));
}

/**
 * An indexed file whose symbols stay in their stored text until first read (`symbols` is an own,
 * enumerable getter, so spreading or serialising the file still sees them); `symbolsJson` keeps
 * the text for writers that print it as it is.
 */
export function withStoredSymbols(
  file: Omit<IndexedFile, "symbols" | "symbolsJson">,
  text: string,
): IndexedFile {
  let decoded: RepoSymbol[] | undefined;
  // Fields copied one by one: a spread costs more, and this runs once per file of a warm index.
  return {
    path: file.path,
    size: file.size,
    mtimeMs: file.mtimeMs,
    language: file.language,
    junk: file.junk ?? null,
    sha256: file.sha256,
    references: file.references,
    lines: file.lines,
    symbolsJson: text,
    get symbols() {
      decoded ??= decodeSymbols(text);
      return decoded;
    },
  };
}
