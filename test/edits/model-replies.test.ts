/**
 * How today's models reply (issue 10), as a table with the right result for each class: reasoning
 * around the edits, a block given twice, an edit the file already has, a stale hunk, a SEARCH inside
 * one long line, placeholder comments (refused where they drop code, kept where they drop nothing).
 */
import { describe, expect, it } from "vitest";
import { applyEditsInMemory, parseEdits } from "../../src/edits/index.js";
import { isPlaceholderLine } from "../../src/edits/placeholder.js";

function run(reply: string, files: Record<string, string>) {
  const parsed = parseEdits(reply, { knownFiles: Object.keys(files) });
  const result = applyEditsInMemory(parsed.edits, (file) => files[file] ?? null);
  const contentOf = (file: string) =>
    result.changes.find((change) => change.file === file)?.after ?? files[file];
  return { parsed, result, contentOf };
}

const sr = (file: string, search: string, replace: string) =>
  `${file}\n\`\`\`\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n\`\`\`\n`;

const guests = [
  "def is_guest(user):",
  '    if user.name == "guest":',
  "        return False",
  "    return False",
  "",
  "",
  "def is_admin(user):",
  '    if user.name == "root":',
  "        return True",
  "    return False",
  "",
].join("\n");

describe("reasoning is never applied", () => {
  const file = "a = 1\nb = 2\n";
  const real = sr("m.py", "b = 2", "b = 3");
  const trialBlock = sr("m.py", "a = 1", "a = 100");
  it.each([
    ["<think> block", `<think>\nFirst try:\n${trialBlock}\nNo.\n</think>\n${real}`],
    ["lone </think>", `First try:\n${trialBlock}\nNo.\n</think>\n\n${real}`],
    [
      "harmony channels",
      `<|channel|>analysis<|message|>${trialBlock}<|end|><|start|>assistant<|channel|>final<|message|>${real}<|return|>`,
    ],
  ])("%s with a trial SEARCH/REPLACE", (_name, reply) => {
    const { result, contentOf } = run(reply, { "m.py": file });
    expect(result.ok).toBe(true);
    expect(result.outcomes).toHaveLength(1);
    expect(contentOf("m.py")).toBe("a = 1\nb = 3\n");
  });

  it("a trial diff in the reasoning does not spoil the real diff", () => {
    const trialDiff = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n-a = 1\n+a = 5\n b = 2\n";
    const realDiff = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 7\n";
    const { result, contentOf } = run(`<think>\n${trialDiff}</think>\n${realDiff}`, { "m.py": file });
    expect(result.ok).toBe(true);
    expect(contentOf("m.py")).toBe("a = 1\nb = 7\n");
  });
});

describe("never twice", () => {
  it.each([
    ["REPLACE contains SEARCH", "x = 1", "x = 1\ny = 2"],
    ["REPLACE does not contain SEARCH", "x = 1", "x = 10"],
  ])("a block repeated verbatim is applied once (%s)", (_name, search, replace) => {
    const block = sr("m.py", search, replace);
    const { result, contentOf } = run(`${block}\nAgain:\n${block}`, { "m.py": "x = 1\nz = 3\n" });
    expect(result.ok).toBe(true);
    expect(contentOf("m.py")).toBe(`${replace}\nz = 3\n`);
    expect(result.outcomes[1]).toMatchObject({ status: "applied", note: "repeated", repeats: 1 });
  });

  it("the same diff twice is applied once", () => {
    const diff = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,3 @@\n x = 1\n+y = 2\n z = 3\n";
    const { result, contentOf } = run(`${diff}\n${diff}`, { "m.py": "x = 1\nz = 3\n" });
    expect(result.ok).toBe(true);
    expect(contentOf("m.py")).toBe("x = 1\ny = 2\nz = 3\n");
  });

  it.each([
    ["SEARCH/REPLACE whose REPLACE extends SEARCH", sr("m.py", "x = 1", "x = 1\ny = 2")],
    ["SEARCH/REPLACE whose SEARCH is gone", sr("m.py", "x = 1\nz = 3", "x = 1\ny = 2\nz = 3")],
    ["diff adding a line", "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,3 @@\n x = 1\n+y = 2\n z = 3\n"],
    ["diff changing a line", "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n x = 1\n-y = 1\n+y = 2\n z = 3\n"],
  ])("an already applied edit changes nothing and is not an error: %s", (_name, reply) => {
    const { result } = run(reply, { "m.py": "x = 1\ny = 2\nz = 3\n" });
    expect(result.ok).toBe(true);
    expect(result.changes).toEqual([]);
    expect(result.outcomes[0]).toMatchObject({
      status: "applied",
      note: "already-applied",
      strategy: "already applied",
    });
  });
  it("refuses when the new text stands at one place and the old text at another, unless a line number says which", () => {
    const file = "start()\nlog()\nflush()\n\nother()\n\nstart()\nlog()\nend()\n";
    const block = sr("m.py", "start()\nlog()", "start()\nlog()\nflush()");
    const refused = run(block, { "m.py": file });
    expect(refused.result.ok).toBe(false);
    expect(refused.result.outcomes[0]?.reason).toMatch(
      /already stands at line 1, and its old text also at line 7/,
    );
    const diff = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,3 @@\n start()\n log()\n+flush()\n";
    const hinted = run(diff, { "m.py": file });
    expect(hinted.result.ok).toBe(true);
    expect(hinted.result.outcomes[0]?.note).toBe("already-applied");
    expect(hinted.result.changes).toEqual([]);
  });
});

describe("never in the wrong place", () => {
  it("refuses the stale is_guest hunk instead of editing is_admin", () => {
    const stale = [
      "--- a/auth.py",
      "+++ b/auth.py",
      "@@ -1,4 +1,4 @@",
      " def is_guest(user):",
      '     if user.name == "guest":',
      "-        return True",
      "+        return False",
      "     return False",
      "",
    ].join("\n");
    const { result, contentOf } = run(stale, { "auth.py": guests });
    expect(result.ok).toBe(false);
    expect(contentOf("auth.py")).toBe(guests);
    expect(result.outcomes[0]?.reason).toMatch(/context/);
  });

  it("refuses a stale hunk whose whole text stands elsewhere only with other indentation", () => {
    const file = [
      "class A:",
      "    def run(self):",
      "        if ready:",
      "            done = 1  # changed since",
      "            stop()",
      "",
      "",
      "def run(self):",
      "    if ready:",
      "        done = 1",
      "        stop()",
      "",
    ].join("\n");
    const stale =
      "--- a/m.py\n+++ b/m.py\n@@ -2,4 +2,4 @@\n     def run(self):\n         if ready:\n-            done = 1\n+            done = 2\n             stop()\n";
    const { result, contentOf } = run(stale, { "m.py": file });
    expect(result.ok).toBe(false);
    expect(result.outcomes[0]?.reason).toMatch(/context matches line 2 exactly but its removed lines differ/);
    expect(contentOf("m.py")).toBe(file);
  });

  it("still places a hunk whose context the model misremembered (absent from the file)", () => {
    const hunk = [
      "--- a/m.py",
      "+++ b/m.py",
      "@@ -1,3 +1,3 @@",
      " # a comment that is not in the file",
      "-value = compute(1)",
      "+value = compute(2)",
      "",
    ].join("\n");
    const { result, contentOf } = run(hunk, { "m.py": "import x\nvalue = compute(1)\nprint(value)\n" });
    expect(result.ok).toBe(true);
    expect(contentOf("m.py")).toBe("import x\nvalue = compute(2)\nprint(value)\n");
  });

  const minified = `${'{"name":"app","version":"1.0.0","dependencies":{"left-pad":"^1.3.0","react":"^18.2.0"},'.repeat(2)}"private":true}\n`;
  it("applies a SEARCH that occurs once inside a long line, within that line", () => {
    const { result, contentOf } = run(sr("package.json", '"private":true', '"private":false'), {
      "package.json": minified,
    });
    expect(result.ok).toBe(true);
    expect(result.outcomes[0]?.strategy).toBe("within-line");
    expect(contentOf("package.json")).toBe(minified.replace('"private":true', '"private":false'));
  });

  it("refuses an intra-line SEARCH that occurs twice", () => {
    const { result, contentOf } = run(sr("package.json", '"react":"^18.2.0"', '"react":"^19.0.0"'), {
      "package.json": minified,
    });
    expect(result.ok).toBe(false);
    expect(contentOf("package.json")).toBe(minified);
  });
});

describe("placeholder comments", () => {
  it.each([
    "// ... omitted for brevity",
    "// rest unchanged",
    "<!-- rest of the page unchanged -->",
    "# (unchanged fields...)",
    "// (...stop() stays as it was)",
    "/* existing methods */",
    "-- same as before",
    "; the rest remains",
    "(rest of the document unchanged)",
  ])("%s is a placeholder", (line) => {
    expect(isPlaceholderLine(`    ${line}`)).toBe(true);
  });

  it.each([
    "// compute the total",
    "# the list must stay sorted",
    "const rest = items.slice(1); // remaining items",
    "x = 1",
  ])("%s is not", (line) => {
    expect(isPlaceholderLine(line)).toBe(false);
  });

  const service = "class S {\n  start() {\n    run();\n  }\n  stop() {\n    halt();\n  }\n}\n";
  it.each([
    [
      "a REPLACE that drops stop()",
      sr(
        "s.ts",
        "  start() {\n    run();\n  }\n  stop() {\n    halt();\n  }",
        "  start() {\n    run(1);\n  }\n  // (...stop() stays as it was)",
      ),
    ],
    [
      "a whole file that leaves code out",
      "s.ts\n```ts\nclass S {\n  start() {\n    run(1);\n  }\n  // ... omitted for brevity\n}\n```\n",
    ],
    [
      "a diff that swaps code for a comment",
      "--- a/s.ts\n+++ b/s.ts\n@@ -4,4 +4,2 @@\n   }\n-  stop() {\n-    halt();\n-  }\n+  // rest unchanged\n }\n",
    ],
  ])("refuses %s, telling the drafter why", (_name, reply) => {
    const { result, contentOf } = run(reply, { "s.ts": service });
    expect(result.ok).toBe(false);
    expect(contentOf("s.ts")).toBe(service);
    expect(result.outcomes[0]?.reason).toMatch(/leaves code out.*write that code out in full/);
  });

  it("keeps a placeholder-like comment that drops nothing", () => {
    const { result, contentOf } = run(
      sr(
        "s.ts",
        "  stop() {\n    halt();",
        "  stop() {\n    // the rest of the shutdown stays as it was\n    halt();",
      ),
      {
        "s.ts": service,
      },
    );
    expect(result.ok).toBe(true);
    expect(contentOf("s.ts")).toContain("// the rest of the shutdown stays as it was\n    halt();");
  });
});
