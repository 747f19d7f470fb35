/**
 * Symbols as the index store keeps them and workers send them: one JSON array of rows instead of
 * an array of objects (smaller, and a single string to copy between threads).
 */
import type { RepoSymbol, SymbolKind } from "./types.js";

type SymbolRow = [string, SymbolKind, string | null, string, number, number];

export function encodeSymbols(symbols: RepoSymbol[]): string {
  return JSON.stringify(
    symbols.map(
      (symbol): SymbolRow => [
        symbol.name,
        symbol.kind,
        symbol.container,
        symbol.signature,
        symbol.line,
        symbol.endLine,
      ],
    ),
  );
}

export function decodeSymbols(json: string): RepoSymbol[] {
  return (JSON.parse(json) as SymbolRow[]).map(([name, kind, container, signature, line, endLine]) => ({
    name,
    kind,
    container,
    signature,
    line,
    endLine,
  }));
}
