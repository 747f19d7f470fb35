import { describe, expect, it } from "vitest";
import { applyEditsInMemory, failureReport, parseEdits } from "../../src/edits/index.js";

describe("failureReport", () => {
  const files: Record<string, string> = {
    "a.py": "def total(values):\n    result = sum(values)\n    return result\n",
    "b.py": "X = 1\n",
  };
  const reply = [
    "a.py",
    "<<<<<<< SEARCH",
    "def total(values):",
    "    result = sum(v for v in values)",
    "=======",
    "def total(values):",
    "    result = 0",
    ">>>>>>> REPLACE",
    "b.py",
    "<<<<<<< SEARCH",
    "X = 1",
    "=======",
    "X = 2",
    ">>>>>>> REPLACE",
    "b.py",
    "<<<<<<< SEARCH",
    "X = 2",
    "no divider and no end",
  ].join("\n");

  it("names each failed or unreadable block, shows the nearest real lines and lists what must not be resent", () => {
    const parsed = parseEdits(reply);
    const result = applyEditsInMemory(parsed.edits, (file) => files[file] ?? null);
    const report = failureReport(result, parsed.problems);
    expect(report).toContain("2 of 3 edit block(s) failed to apply.");
    expect(report).toContain("## SEARCH/REPLACE block #1 for a.py: FAILED");
    expect(report).toContain("    result = sum(values)");
    expect(report).toContain("from line 1");
    expect(report).toContain("## Block #3: UNREADABLE");
    expect(report).toContain("without its ======= divider");
    expect(report).toContain("SEARCH/REPLACE block #2 for b.py. Do not send them again.");
  });

  it("says all applied when nothing failed", () => {
    const result = applyEditsInMemory(
      parseEdits("b.py\n<<<<<<< SEARCH\nX = 1\n=======\nX = 3\n>>>>>>> REPLACE\n").edits,
      (file) => files[file] ?? null,
    );
    expect(failureReport(result)).toBe("All 1 edit block(s) applied.");
  });
});
