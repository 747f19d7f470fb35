import { describe, expect, it } from "vitest";
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
    ]) {
      const chunks: string[] = [];
      const count = writeSymbolsJson(files, (chunk) => chunks.push(chunk));
      const expected = `${JSON.stringify({ ok: true, symbols: rowsOf(files) }, null, 2)}\n`;
      expect(chunks.join("")).toBe(expected);
      expect(count).toBe(rowsOf(files).length);
      for (const chunk of chunks) expect(chunk.endsWith("\n")).toBe(true);
      // Large outputs really are streamed: no chunk holds more than ~64 KiB plus one row.
      if (count > 1000) expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(70 * 1024);
    }
  });
});
