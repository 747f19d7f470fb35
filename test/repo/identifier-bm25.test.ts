import { describe, expect, it } from "vitest";
import { identifierBm25 } from "../../src/repo/identifier-bm25.js";
import { taskTerms } from "../../src/repo/task-terms.js";
import type { IndexedFile, RepoSymbol } from "../../src/repo/types.js";

function symbol(name: string): RepoSymbol {
  return { name, kind: "function", container: null, signature: `def ${name}()`, line: 1, endLine: 2 };
}

function file(path: string, defines: string[], uses: string[]): IndexedFile {
  return {
    path,
    size: 100,
    mtimeMs: 0,
    language: "python",
    sha256: null,
    symbols: defines.map(symbol),
    references: uses,
    lines: 10,
  };
}

describe("identifierBm25", () => {
  // The file to change defines nothing named after the task, but its code uses what the task says.
  const files = [
    file("urllib/request.py", ["urlopen", "build_opener"], ["user_agent", "add_header", "Request"]),
    file("urllib/error.py", ["URLError", "HTTPError"], ["reason"]),
    file("http/client.py", ["HTTPConnection", "putheader"], ["send", "header_value"]),
    file("textwrap.py", ["wrap", "shorten"], ["placeholder"]),
  ];

  it("scores a file by the task words its used identifiers contain", () => {
    const scores = identifierBm25(files, taskTerms("send a default User-Agent header").words);
    expect(scores[0]).toBeGreaterThan(scores[1]!);
    expect(scores[0]).toBeGreaterThan(0);
    expect(scores[1]).toBe(0);
    expect(scores[3]).toBe(0);
    // "user" and "agent" occur only in request.py (rare, so they outweigh "header" and "send").
    expect(scores[0]).toBeGreaterThan(scores[2]!);
  });

  it("counts path words: the folder and file name match too", () => {
    const scores = identifierBm25(files, taskTerms("textwrap").words);
    expect(scores[3]).toBeGreaterThan(0);
    expect([...scores].filter((score) => score > 0)).toHaveLength(1);
  });

  it("gives rare words more weight than common ones, and nothing without task words", () => {
    const common = file("a.py", ["header"], []);
    const rare = file("b.py", ["agent"], []);
    const others = [1, 2, 3].map((n) => file(`c${n}.py`, ["header"], []));
    const scores = identifierBm25([common, rare, ...others], taskTerms("header agent").words);
    expect(scores[1]).toBeGreaterThan(scores[0]!);
    expect([...identifierBm25(files, new Set())]).toEqual([0, 0, 0, 0]);
  });

  it("normalises by length: the same match in a file of 200 names weighs less", () => {
    const small = file("small.py", ["retry"], []);
    const big = file(
      "big.py",
      ["retry"],
      Array.from({ length: 200 }, (_, n) => `name${n}`),
    );
    const scores = identifierBm25([small, big, file("other.py", ["x"], [])], taskTerms("retry").words);
    expect(scores[0]).toBeGreaterThan(scores[1]!);
  });
});
