import { describe, expect, it } from "vitest";
import { decodeSymbols, encodeSymbols, withStoredSymbols } from "../../src/repo/symbol-codec.js";
import { writeSymbolsJson } from "../../src/repo/symbols-json.js";
import type { IndexedFile, RepoSymbol } from "../../src/repo/types.js";

function file(path: string, count: number): IndexedFile {
  const symbols: RepoSymbol[] = Array.from({ length: count }, (_, index) => ({
    name: `name_${index}`,
    kind: "function",
    container: index % 2 ? "Outer" : null,
    signature: `def name_${index}(a, "quoted\\\\")`,
    line: index + 1,
    endLine: index + 2,
  }));
  return { path, size: 1, mtimeMs: 0, language: "python", sha256: null, symbols, references: [], lines: 0 };
}

function rowsOf(files: IndexedFile[]) {
  return files.flatMap((entry) =>
    entry.symbols.map((symbol) => ({
      path: entry.path,
      name: symbol.name,
      kind: symbol.kind,
      container: symbol.container,
      line: symbol.line,
      end_line: symbol.endLine,
      signature: symbol.signature,
    })),
  );
}

describe("repo symbols --json, streamed", () => {
  it("writes exactly what JSON.stringify({ok: true, symbols: rows}, null, 2) would, in chunks that each end a line", () => {
    for (const files of [
      [],
      [file("a.py", 0)],
      [file("a.py", 1)],
      [file("a.py", 3000), file("b/c.py", 2500)],
      Array.from({ length: 60 }, (_, index) => file(`m/f${index}.py`, 100)),
    ]) {
      const chunks: string[] = [];
      const count = writeSymbolsJson(files, (chunk) => chunks.push(chunk));
      const expected = `${JSON.stringify({ ok: true, symbols: rowsOf(files) }, null, 2)}\n`;
      expect(chunks.join("")).toBe(expected);
      expect(count).toBe(files.filter((entry) => entry.symbols.length > 0).length);
      for (const chunk of chunks) expect(chunk.endsWith("\n")).toBe(true);
      // Large outputs really are streamed: no chunk holds more than ~64 KiB plus one file's rows.
      if (files.length > 10) expect(chunks.length).toBeGreaterThan(2);
      const largestFile = Math.max(
        0,
        ...files.map((entry) => encodeSymbols(entry.path, entry.symbols).length),
      );
      for (const chunk of chunks) expect(chunk.length).toBeLessThan(64 * 1024 + largestFile + 64);
    }
  });

  it("files from the index print their stored rows as they are, and decode to the same symbols", () => {
    const tricky: IndexedFile = {
      ...file('dir/ü "q".py', 3),
      symbols: [
        {
          name: "größe",
          kind: "class",
          container: null,
          signature: "class größe(Base):  # \u2028 \t",
          line: 1,
          endLine: 9,
        },
        {
          name: "__init__",
          kind: "method",
          container: "größe",
          signature: "def __init__(self, s='\\n')",
          line: 2,
          endLine: 3,
        },
      ],
    };
    const files = [file("a.py", 0), tricky, file("b/c.py", 40)];
    const stored = files.map((entry) => {
      const { symbols, ...rest } = entry;
      return withStoredSymbols(rest, encodeSymbols(entry.path, symbols));
    });
    for (const [index, entry] of stored.entries()) {
      expect(entry.symbols).toEqual(files[index]!.symbols);
      expect(decodeSymbols(entry.symbolsJson!)).toEqual(files[index]!.symbols);
      // Spreading keeps the symbols (an own, enumerable getter).
      expect({ ...entry }.symbols).toEqual(files[index]!.symbols);
    }
    const printed = (list: IndexedFile[]) => {
      const chunks: string[] = [];
      writeSymbolsJson(list, (chunk) => chunks.push(chunk));
      return chunks.join("");
    };
    expect(printed(stored)).toBe(printed(files));
    expect(printed(stored)).toBe(`${JSON.stringify({ ok: true, symbols: rowsOf(files) }, null, 2)}\n`);
  });
});
