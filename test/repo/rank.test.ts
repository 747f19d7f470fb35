import { describe, expect, it } from "vitest";
import { rankRepo } from "../../src/repo/rank.js";
import { identifierReferences } from "../../src/repo/references.js";
import { mentionsIn } from "../../src/repo/repo-map.js";
import type { IndexedFile, RepoSymbol } from "../../src/repo/types.js";

function file(
  path: string,
  symbols: Array<Partial<RepoSymbol> & { name: string }>,
  references: string[] = [],
): IndexedFile {
  return {
    path,
    size: 100,
    mtimeMs: 0,
    language: "typescript",
    sha256: null,
    lines: 10,
    references,
    symbols: symbols.map((symbol, index) => ({
      kind: "function",
      container: null,
      signature: `function ${symbol.name}()`,
      line: index + 1,
      endLine: index + 1,
      ...symbol,
    })),
  };
}

describe("references", () => {
  it("ignore comments and string literals", () => {
    const source = [
      "// mentions HiddenInComment",
      "/* and BlockComment */",
      'const label = "QuotedName";',
      "callReal(VisibleName);",
    ].join("\n");
    const found = identifierReferences(source, new Set(["label"]), "typescript");
    expect(found).toEqual(["VisibleName", "callReal"]);
    expect(identifierReferences("x = 1  # PyComment\ncall(Thing)\n", new Set(), "python")).toEqual([
      "Thing",
      "call",
    ]);
  });
});

describe("rankRepo", () => {
  const files = [
    file("src/core.ts", [{ name: "parseConfig" }, { name: "loadConfig" }]),
    file("src/a.ts", [{ name: "useA" }], ["parseConfig"]),
    file("src/b.ts", [{ name: "useB" }], ["parseConfig", "loadConfig"]),
    file("src/lonely.ts", [{ name: "unused" }]),
    file("test/core.test.ts", [{ name: "helperInTest" }], ["parseConfig"]),
  ];

  it("puts what many files depend on first", () => {
    const { entries } = rankRepo({ files });
    expect(entries[0]).toMatchObject({ file: "src/core.ts", symbol: { name: "parseConfig" } });
    expect(entries.findIndex((entry) => entry.symbol?.name === "unused")).toBeGreaterThan(2);
  });

  it("moves focus files and mentioned identifiers up", () => {
    const byFocus = rankRepo({ files, focusFiles: ["src/lonely.ts"] });
    expect(byFocus.entries[0]?.file).toBe("src/lonely.ts");
    const byMention = rankRepo({ files, mentionedIdentifiers: new Set(["useB"]) });
    expect(byMention.entries[0]?.symbol?.name).toBe("useB");
  });

  it("ranks test files after the code they exercise", () => {
    const { entries } = rankRepo({ files });
    const test = entries.findIndex((entry) => entry.symbol?.name === "helperInTest");
    const code = entries.findIndex((entry) => entry.symbol?.name === "useA");
    expect(test).toBeGreaterThan(code);
  });

  it("only counts task words that are written like code or are rare", () => {
    const many = Array.from({ length: 4 }, (_, index) =>
      file(`src/m${index}.ts`, [{ name: "update" }, { name: "render" }]),
    );
    const mentioned = mentionsIn("update the render of parseConfig in src/core.ts", [...files, ...many]);
    expect([...mentioned.identifiers]).toEqual(["parseConfig"]);
    expect([...mentioned.paths]).toEqual(["src/core.ts"]);
  });
});
