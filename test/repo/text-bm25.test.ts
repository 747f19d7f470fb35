import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAsidePath, isDocumentationPath, rankRepo } from "../../src/repo/rank.js";
import { taskTerms } from "../../src/repo/task-terms.js";
import { maxTextBytes, readTexts, textBm25 } from "../../src/repo/text-bm25.js";
import type { IndexedFile } from "../../src/repo/types.js";

function file(path: string, extra: Partial<IndexedFile> = {}): IndexedFile {
  return {
    path,
    size: 100,
    mtimeMs: 0,
    language: "python",
    sha256: null,
    symbols: [],
    references: [],
    lines: 10,
    ...extra,
  };
}

describe("textBm25", () => {
  it("finds a task word in strings and comments, at the start of a word part in any case", () => {
    const texts = [
      'MSGS = {"R1737": ("Use \'yield from\' directly", "use-yield-from")}\n',
      "def useYieldFrom(): pass  # YIELD_FROM\n",
      "def shielded(): return fieldyield\n", // "yield" only inside words: no match
      "",
    ];
    const scores = textBm25(texts, taskTerms("Handle targets in use-yield-from").words);
    expect(scores[0]).toBeGreaterThan(0);
    expect(scores[1]).toBeGreaterThan(0);
    expect(scores[2]).toBe(0);
    expect(scores[3]).toBe(0);
  });

  it("matches a stemmed task word as a prefix, ignores short words, and weighs rare words more", () => {
    expect(textBm25(["x = unpacking(y)"], taskTerms("unpack").words).at(0)).toBeGreaterThan(0);
    expect([...textBm25(["io os io os"], new Set(["io", "os"]))]).toEqual([0]);
    const texts = ["header header", "agent", "header", "header", "header"];
    const scores = textBm25(texts, taskTerms("header agent").words);
    expect(scores[1]).toBeGreaterThan(scores[2]!);
    expect([...textBm25(texts, new Set())]).toEqual([0, 0, 0, 0, 0]);
  });

  it("normalises by length: the same match in a much longer text weighs less", () => {
    const scores = textBm25(["retry once", `retry ${"x ".repeat(5000)}`, "other"], taskTerms("retry").words);
    expect(scores[0]).toBeGreaterThan(scores[1]!);
  });
});

describe("readTexts", () => {
  let root = "";
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = "";
  });

  it("reads parsed code only, never through a symlink, and leaves junk and huge files out", () => {
    root = mkdtempSync(join(tmpdir(), "hierocode-text-bm25-"));
    const outside = mkdtempSync(join(tmpdir(), "hierocode-text-bm25-outside-"));
    try {
      writeFileSync(join(outside, "secret.py"), "AWS_SECRET = 'x'\n");
      mkdirSync(join(root, "pkg"));
      writeFileSync(join(root, "pkg", "a.py"), "def a(): pass\n");
      writeFileSync(join(root, "notes.txt"), "plain text\n");
      writeFileSync(join(root, "min.js"), "var a=1;");
      symlinkSync(join(outside, "secret.py"), join(root, "link.py"));
      const texts = readTexts(root, [
        file("pkg/a.py"),
        file("notes.txt", { language: null }),
        file("min.js", { language: "javascript", junk: "minified" }),
        file("big.py", { size: maxTextBytes + 1 }),
        file("link.py"),
        file("gone.py"),
      ]);
      expect(texts).toEqual(["def a(): pass\n", "", "", "", "", ""]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("rankRepo with texts", () => {
  it("puts first the file whose text says what the task says when names do not", () => {
    const files = [
      file("pkg/checkers/refactoring.py", { symbols: [] }),
      file("pkg/checkers/format.py"),
      file("pkg/lint/run.py"),
    ];
    const texts = [
      'MESSAGES = {"R1737": "use-yield-from"}\n# suggest yield from\n',
      "# line too long\n",
      "def run(): pass\n",
    ];
    const order = (withTexts: boolean) => {
      const entries = rankRepo({
        files,
        taskTerms: taskTerms("Handle non-AssignName targets in use-yield-from"),
        ...(withTexts ? { texts } : {}),
      }).entries;
      return [...new Set(entries.map((entry) => entry.file))];
    };
    expect(order(true)[0]).toBe("pkg/checkers/refactoring.py");
    expect(order(false)[0]).not.toBe("pkg/checkers/refactoring.py");
  });

  it("ranks documentation and examples after code, by Linguist's documentation rules", () => {
    expect(isDocumentationPath("doc/data/messages/u/use-yield-from/bad.py")).toBe(true);
    expect(isDocumentationPath("docs/guide/api.ts")).toBe(true);
    expect(isDocumentationPath("examples/echo.rs")).toBe(true);
    expect(isDocumentationPath("src/docs.ts")).toBe(false);
    expect(isDocumentationPath("pkg/examples/x.py")).toBe(false);
    expect(isAsidePath("playground/worker/main.js")).toBe(true);
    expect(isAsidePath("packages/vite/src/node/plugins/worker.ts")).toBe(false);
    const files = [file("doc/examples/yield_from.py"), file("pkg/checkers/refactoring.py")];
    const texts = ["def use_yield_from(): yield from x  # use-yield-from\n", "# yield from\n"];
    const entries = rankRepo({ files, taskTerms: taskTerms("use-yield-from"), texts }).entries;
    expect(entries[0]?.file).toBe("pkg/checkers/refactoring.py");
  });

  it("still follows the task's words in a repository that is all examples", () => {
    const files = [file("examples/echo.py"), file("examples/retry.py"), file("examples/zip.py")];
    const texts = ["print(input())\n", "def with_retries(): pass  # retry on failure\n", "import zipfile\n"];
    const entries = rankRepo({ files, taskTerms: taskTerms("add retries"), texts }).entries;
    expect(entries[0]?.file).toBe("examples/retry.py");
  });
});
