import { describe, expect, it } from "vitest";
import { type PackBlock, packContext } from "../../src/repo/index.js";
import { realTokenizer } from "../../src/tokens/real-tokenizers.js";

const counter = realTokenizer("o200k_base");

/** A Python module of `count` functions, each ~10 lines. */
function bigModule(count: number): string {
  const lines = ["import os", "import sys", ""];
  for (let index = 0; index < count; index++) {
    lines.push(`def handler_${index}(request, retries=3):`);
    for (let body = 0; body < 8; body++)
      lines.push(`    value_${body} = request.get("field_${index}_${body}", ${body})`);
    lines.push("    return value_0", "");
  }
  return lines.join("\n");
}

function overlay(files: Record<string, string>) {
  return (path: string) => files[path] ?? null;
}

/** Every line of the original is either verbatim in a kept range or inside an announced gap. */
function assertNothingSilentlyDropped(block: PackBlock, original: string): void {
  const lines = original.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const covered = new Array<boolean>(lines.length + 1).fill(false);
  for (const [start, end] of block.ranges ?? []) {
    const verbatim = lines.slice(start - 1, end).join("\n");
    expect(block.text).toContain(verbatim);
    for (let line = start; line <= end; line++) covered[line] = true;
  }
  for (const match of block.text.matchAll(/⋮ lines (\d+)–(\d+) omitted/g)) {
    for (let line = Number(match[1]); line <= Number(match[2]); line++) {
      expect(covered[line]).toBe(false);
      covered[line] = true;
    }
  }
  expect(covered.slice(1).every(Boolean)).toBe(true);
  expect(block.omitted).toBeTruthy();
}

describe("packContext", () => {
  it("includes target and context files whole when they fit", async () => {
    const files = { "a.py": "def a():\n    return 1\n", "b.py": "def b():\n    return 2\n" };
    const result = await packContext({
      repoRoot: "/nowhere",
      targetFiles: ["a.py"],
      contextFiles: ["b.py"],
      budgetTokens: 1000,
      counter,
      read: overlay(files),
    });
    expect(result.fits).toBe(true);
    expect(result.blocks).toEqual([
      { file: "a.py", text: files["a.py"], whole: true },
      { file: "b.py", text: files["b.py"], whole: true },
    ]);
    expect(result.usedTokens).toBe(
      counter.count(`a.py\n${files["a.py"]}`) + counter.count(`b.py\n${files["b.py"]}`),
    );
  });

  it("cuts an oversized target to the focus symbols' ranges and says what was left out", async () => {
    const text = bigModule(60);
    const result = await packContext({
      repoRoot: "/nowhere",
      targetFiles: ["handlers.py"],
      contextFiles: [],
      budgetTokens: 1500,
      counter,
      focusSymbols: ["handler_42"],
      goal: "also make handler_7 retry",
      read: overlay({ "handlers.py": text }),
    });
    const block = result.blocks[0]!;
    expect(block.whole).toBe(false);
    expect(result.fits).toBe(true);
    expect(result.usedTokens).toBeLessThanOrEqual(1500);
    // Focus symbols verbatim, the import header kept, the rest announced with signatures.
    expect(block.ranges).toEqual([
      [1, 3],
      [4 + 7 * 11, 4 + 7 * 11 + 9],
      [4 + 42 * 11, 4 + 42 * 11 + 9],
    ]);
    expect(block.text).toContain('value_7 = request.get("field_42_7", 7)');
    expect(block.text).toContain("⋮ def handler_43(request, retries=3)");
    expect(block.omitted).toContain("handler_0");
    expect(result.notes.some((note) => note.startsWith("handlers.py:") && note.includes("omitted"))).toBe(
      true,
    );
    assertNothingSilentlyDropped(block, text);
  });

  it("drops gap signatures before focus code, and reports focus symbols that cannot fit", async () => {
    const text = bigModule(60);
    const tight = await packContext({
      repoRoot: "/nowhere",
      targetFiles: ["handlers.py"],
      contextFiles: [],
      budgetTokens: 300,
      counter,
      focusSymbols: ["handler_1", "handler_2", "handler_3"],
      read: overlay({ "handlers.py": text }),
    });
    const block = tight.blocks[0]!;
    assertNothingSilentlyDropped(block, text);
    expect(tight.usedTokens).toBeLessThanOrEqual(300);
    expect(block.omitted).toContain("signatures of the omitted part also left out");
    expect(tight.fits).toBe(false);
    expect(tight.notes.some((note) => note.includes("not every focus symbol fits"))).toBe(true);
  });

  it("shows context files as signatures when they do not fit whole, and says so", async () => {
    const result = await packContext({
      repoRoot: "/nowhere",
      targetFiles: ["small.py"],
      contextFiles: ["big.py", "missing.py"],
      budgetTokens: 900,
      counter,
      read: overlay({ "small.py": "x = 1\n", "big.py": bigModule(40) }),
    });
    expect(result.blocks[0]).toMatchObject({ file: "small.py", whole: true });
    const context = result.blocks[1]!;
    expect(context).toMatchObject({ file: "big.py", whole: false });
    expect(context.text).toContain("def handler_0(request, retries=3)");
    expect(context.text).not.toContain("request.get");
    expect(result.usedTokens).toBeLessThanOrEqual(900);
    expect(result.notes).toContain("missing.py: context file not found, skipped");
    expect(result.notes.some((note) => note.startsWith("big.py: context shown as signatures"))).toBe(true);
  });

  it("marks a target that does not exist yet as new", async () => {
    const result = await packContext({
      repoRoot: "/nowhere",
      targetFiles: ["new.ts"],
      contextFiles: [],
      budgetTokens: 100,
      counter,
      read: overlay({}),
    });
    expect(result.blocks).toEqual([
      { file: "new.ts", text: "", whole: true, omitted: "file does not exist yet" },
    ]);
    expect(result.fits).toBe(true);
  });
});
