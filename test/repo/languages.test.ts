import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractSymbols } from "../../src/repo/extract.js";
import { languageForPath } from "../../src/repo/file-kinds.js";
import type { RepoSymbol } from "../../src/repo/types.js";

const fixtures = join(import.meta.dirname, "..", "fixtures", "repo-langs");

async function symbolsOf(file: string): Promise<RepoSymbol[]> {
  const language = languageForPath(file);
  if (!language) throw new Error(`no language for ${file}`);
  return (await extractSymbols(language, readFileSync(join(fixtures, file), "utf8"))).symbols;
}

/** [name, kind, container, line, endLine] — every listed symbol must be found exactly so. */
type Expected = [string, RepoSymbol["kind"], string | null, number, number];

const table: Record<string, { expected: Expected[]; signatures?: Record<string, string> }> = {
  "shapes.ts": {
    expected: [
      ["Shape", "interface", null, 3, 6],
      ["area", "method", "Shape", 4, 4],
      ["ShapeId", "type", null, 8, 8],
      ["Color", "enum", null, 10, 13],
      ["Base", "class", null, 15, 18],
      ["Circle", "class", null, 20, 29],
      ["radius", "field", "Circle", 21, 21],
      ["constructor", "method", "Circle", 22, 25],
      ["area", "method", "Circle", 26, 28],
      ["makeCircle", "function", null, 31, 33],
      ["scale", "function", null, 35, 35],
      ["DEFAULT_RADIUS", "constant", null, 37, 37],
      ["Geometry", "module", null, 39, 43],
      ["origin", "function", "Geometry", 40, 42],
    ],
    signatures: {
      makeCircle: "export function makeCircle(radius: number): Circle",
      Circle: "export class Circle extends Base",
    },
  },
  "widget.tsx": {
    expected: [
      ["Props", "interface", null, 3, 5],
      ["Widget", "function", null, 7, 9],
      ["Panel", "class", null, 11, 15],
      ["render", "method", "Panel", 12, 14],
    ],
  },
  "server.js": {
    expected: [
      ["Server", "class", null, 3, 14],
      ["port", "field", "Server", 4, 4],
      ["listen", "method", "Server", 8, 10],
      ["create", "method", "Server", 11, 13],
      ["handle", "function", null, 16, 18],
      ["start", "function", null, 20, 22],
      ["MAX_CONNECTIONS", "constant", null, 24, 24],
      ["Legacy", "class", null, 28, 32],
      ["LegacyImpl", "class", null, 28, 32],
      ["run", "method", "Legacy", 29, 31],
      ["Widget", "function", null, 34, 36],
      ["render", "method", "Widget", 38, 40],
      ["factory", "function", null, 42, 48],
    ],
    signatures: {
      Legacy: "var Legacy = class LegacyImpl",
      render: "Widget.prototype.render = function (target)",
    },
  },
  "inventory.py": {
    expected: [
      ["MAX_ITEMS", "constant", null, 4, 4],
      ["Item", "class", null, 8, 13],
      ["total", "method", "Item", 12, 13],
      ["Inventory", "class", null, 16, 29],
      ["default_location", "field", "Inventory", 17, 17],
      ["__init__", "method", "Inventory", 19, 20],
      ["add", "method", "Inventory", 22, 23],
      ["Audit", "class", "Inventory", 25, 29],
      ["run", "method", "Inventory.Audit", 26, 29],
      ["inner", "function", "Inventory.Audit.run", 27, 28],
      ["load_inventory", "function", null, 32, 33],
    ],
    signatures: {
      add: "async def add(self, item: Item) -> None",
      load_inventory: "def load_inventory(path: str) -> Inventory",
    },
  },
  "store.go": {
    expected: [
      ["MaxSize", "constant", null, 5, 5],
      ["registry", "variable", null, 7, 7],
      ["Store", "struct", null, 9, 12],
      ["Name", "field", "Store", 10, 10],
      ["Reader", "interface", null, 14, 16],
      ["Read", "method", "Reader", 15, 15],
      ["ID", "type", null, 18, 18],
      ["NewStore", "function", null, 20, 22],
      ["Add", "method", "Store", 24, 27],
      ["Len", "method", "Store", 29, 31],
      ["describe", "function", null, 33, 35],
    ],
    signatures: { Add: "func (s *Store) Add(item string) error" },
  },
  "engine.rs": {
    expected: [
      ["LIMIT", "constant", null, 3, 3],
      ["Engine", "struct", null, 5, 8],
      ["name", "field", "Engine", 6, 6],
      ["State", "enum", null, 10, 13],
      ["Runner", "trait", null, 15, 18],
      ["run", "method", "Runner", 16, 16],
      ["new", "method", "Engine", 21, 23],
      ["warm", "method", "Engine", 25, 27],
      ["run", "method", "Engine", 31, 33],
      ["Table", "type", null, 36, 36],
      ["helpers", "module", null, 38, 42],
      ["clamp", "function", "helpers", 39, 41],
      ["square", "macro", null, 44, 46],
    ],
    signatures: { new: "pub fn new(name: &str) -> Self" },
  },
  "Library.java": {
    expected: [
      ["Library", "class", null, 5, 29],
      ["MAX_BOOKS", "field", "Library", 6, 6],
      ["Library", "method", "Library", 9, 11],
      ["count", "method", "Library", 18, 20],
      ["Catalog", "interface", "Library", 22, 24],
      ["find", "method", "Library.Catalog", 23, 23],
      ["Genre", "enum", "Library", 26, 26],
      ["Book", "class", "Library", 28, 28],
    ],
  },
  "list.c": {
    expected: [
      ["LIST_MAX", "constant", null, 3, 3],
      ["LIST_SIZE", "macro", null, 4, 4],
      ["node", "struct", null, 6, 9],
      ["node_t", "type", null, 6, 9],
      ["value", "field", "node", 7, 7],
      ["list", "struct", null, 11, 14],
      ["color", "enum", null, 16, 16],
      ["list_push", "function", null, 20, 20],
      ["make_node", "function", null, 22, 27],
      ["list_push", "function", null, 29, 34],
    ],
    signatures: { make_node: "static node_t *make_node(int value)" },
  },
  "matrix.cpp": {
    expected: [
      ["math", "module", null, 3, 35],
      ["Matrix", "class", "math", 5, 15],
      ["at", "method", "math.Matrix", 9, 9],
      ["rows", "method", "math.Matrix", 10, 10],
      ["rows_", "field", "math.Matrix", 13, 13],
      ["Matrix", "method", "math.Matrix", 17, 17],
      ["~Matrix", "method", "math.Matrix", 19, 19],
      ["at", "method", "math.Matrix", 21, 23],
      ["Point", "struct", "math", 25, 28],
      ["identity", "function", "math", 31, 33],
    ],
    signatures: { at: "double at(int row, int col) const;" },
  },
  "Account.cs": {
    expected: [
      ["Bank.Core", "module", null, 3, 35],
      ["IAccount", "interface", "Bank.Core", 5, 9],
      ["Deposit", "method", "Bank.Core.IAccount", 8, 8],
      ["Account", "class", "Bank.Core", 11, 25],
      ["balance", "field", "Bank.Core.Account", 13, 13],
      ["Balance", "property", "Bank.Core.Account", 14, 14],
      ["Account", "method", "Bank.Core.Account", 16, 19],
      ["Money", "struct", "Bank.Core", 27, 30],
      ["Currency", "enum", "Bank.Core", 32, 32],
      ["Changed", "type", "Bank.Core", 34, 34],
    ],
  },
  "cart.rb": {
    expected: [
      ["Shop", "module", null, 1, 17],
      ["TAX_RATE", "constant", "Shop", 2, 2],
      ["Cart", "class", "Shop", 4, 16],
      ["initialize", "method", "Shop.Cart", 5, 7],
      ["add", "method", "Shop.Cart", 9, 11],
      ["empty", "method", "Shop.Cart", 13, 15],
      ["checkout", "function", null, 19, 21],
    ],
  },
  "User.php": {
    expected: [
      ["App\\Models", "module", null, 2, 2],
      ["HasName", "interface", null, 4, 7],
      ["Greets", "trait", null, 9, 15],
      ["greet", "method", "Greets", 11, 14],
      ["User", "class", null, 17, 33],
      ["ROLE", "constant", "User", 21, 21],
      ["email", "property", "User", 22, 22],
      ["__construct", "method", "User", 24, 27],
      ["name", "method", "User", 29, 32],
      ["make_user", "function", null, 35, 38],
    ],
  },
};

describe("symbol extraction per language", () => {
  for (const [file, { expected, signatures }] of Object.entries(table)) {
    it(`${file}: names, kinds, containers, line ranges`, async () => {
      const symbols = await symbolsOf(file);
      const actual = symbols.map(
        (symbol): Expected => [symbol.name, symbol.kind, symbol.container, symbol.line, symbol.endLine],
      );
      for (const row of expected) expect(actual).toContainEqual(row);
      for (const [name, signature] of Object.entries(signatures ?? {})) {
        expect(symbols.find((symbol) => symbol.name === name)?.signature).toBe(signature);
      }
      // Signatures never carry bodies or line breaks.
      for (const symbol of symbols) expect(symbol.signature).not.toMatch(/\n/);
    });
  }

  it("server.js: members of object literals inside functions are not listed", async () => {
    const symbols = await symbolsOf("server.js");
    expect(symbols.map((symbol) => symbol.name)).not.toContain("local");
  });

  it("C headers: glibc declaration macros are blanked, C++ headers parsed as C++", async () => {
    const { parseFile } = await import("../../src/repo/parse-file.js");
    const headers = join(fixtures, "..", "repo-headers");
    const decls = await parseFile({ path: "decls.h", absolute: join(headers, "decls.h"), language: "c" });
    const widgets = await parseFile({
      path: "widgets.h",
      absolute: join(headers, "widgets.h"),
      language: "c",
    });
    if (!decls.ok || !widgets.ok) throw new Error("parse failed");
    const rows = (symbols: RepoSymbol[]) =>
      symbols.map((symbol) => [symbol.name, symbol.kind, symbol.container, symbol.line]);
    expect(rows(decls.extraction.symbols)).toEqual(
      expect.arrayContaining([
        ["aliasent", "struct", null, 6],
        ["setaliasent", "function", null, 12],
        ["getaliasent_r", "function", null, 13],
      ]),
    );
    expect(rows(widgets.extraction.symbols)).toEqual(
      expect.arrayContaining([
        ["Panel", "class", null, 3],
        ["Panel", "method", "Panel", 6],
        ["width", "method", "Panel", 7],
        ["Holder", "class", null, 11],
        ["self", "method", "Context", 19],
        ["sized", "method", "Context", 20],
        ["sized", "method", "Context", 25],
      ]),
    );
  });

  it("references exclude the file's own definitions and keywords", async () => {
    const language = languageForPath("shapes.ts")!;
    const extraction = await extractSymbols(language, readFileSync(join(fixtures, "shapes.ts"), "utf8"));
    expect(extraction.references).toContain("helper");
    expect(extraction.references).toContain("Math");
    expect(extraction.references).not.toContain("Circle");
    expect(extraction.references).not.toContain("return");
  });
});
