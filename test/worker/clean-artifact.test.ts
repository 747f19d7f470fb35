import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelOutputError } from "../../src/errors.js";
import { cleanArtifact } from "../../src/supervisor/clean-artifact.js";

const chattyCode = [
  "Sure! Here is the function you asked for:",
  "",
  "```python",
  "def add(a: int, b: int) -> int:",
  "    return a + b",
  "```",
  "",
  "This function adds two numbers. Let me know if you need anything else!",
].join("\n");

describe("cleanArtifact", () => {
  it("code: returns only the body of a single fenced block", () => {
    expect(cleanArtifact(chattyCode, "code")).toBe("def add(a: int, b: int) -> int:\n    return a + b");
  });

  it("code: keeps each block with its filename when there are several files, and drops the prose", () => {
    const reply =
      "Here are the files:\n\nsrc/a.py\n```python\nA = 1\n```\n\nAnd the test:\n\n`tests/test_a.py`\n```python\nfrom src.a import A\n```\nDone.";
    expect(cleanArtifact(reply, "code")).toBe(
      "src/a.py\n```python\nA = 1\n```\n\ntests/test_a.py\n```python\nfrom src.a import A\n```",
    );
  });

  it("code: strips an opening line of chatter from an unfenced reply, and <think> blocks", () => {
    expect(cleanArtifact("<think>hmm</think>Here's the code:\n\nx = 1\n", "code")).toBe("x = 1");
  });

  it("text: strips chatter and keeps the text", () => {
    expect(cleanArtifact("Certainly! Here is the summary:\n\nThe module parses dates.\n", "text")).toBe(
      "The module parses dates.",
    );
  });

  it("diff: extracts a unified diff from prose and fences, fixes wrong hunk counts, and the result applies with git", () => {
    const repo = mkdtempSync(join(tmpdir(), "hierocode-diff-"));
    execFileSync("git", ["init", "-q"], { cwd: repo });
    writeFileSync(
      join(repo, "math.py"),
      "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n",
    );
    const reply = [
      "The bug is in add. Here is the fix:",
      "```diff",
      "--- a/math.py",
      "+++ b/math.py",
      "@@ -1,9 +1,9 @@",
      " def add(a, b):",
      "-    return a - b",
      "+    return a + b",
      " ",
      " ",
      "```",
      "Hope this helps.",
    ].join("\n");
    const patch = cleanArtifact(reply, "diff");
    expect(patch).toBe(
      "--- a/math.py\n+++ b/math.py\n@@ -1,4 +1,4 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n \n ",
    );
    writeFileSync(join(repo, "fix.patch"), `${patch}\n`);
    execFileSync("git", ["apply", "fix.patch"], { cwd: repo });
    expect(readFileSync(join(repo, "math.py"), "utf8")).toContain("return a + b\n\n\ndef sub");
  });

  it("diff: renders new files against /dev/null", () => {
    const reply = "--- /dev/null\n+++ b/hello.py\n@@ -0,0 +1,2 @@\n+def hello():\n+    return 'hi'\n";
    expect(cleanArtifact(reply, "diff")).toBe(
      "--- /dev/null\n+++ b/hello.py\n@@ -0,0 +1,2 @@\n+def hello():\n+    return 'hi'",
    );
  });

  it("diff: a reply without a diff is a ModelOutputError, not silent chatter", () => {
    expect(() => cleanArtifact(chattyCode, "diff")).toThrow(ModelOutputError);
    expect(() => cleanArtifact(chattyCode, "diff")).toThrow(
      /did not return well-formed a unified diff|unified diff/,
    );
  });

  it("search-replace: normalises blocks and drops the prose around them", () => {
    const reply = [
      "I'll change the return value.",
      "",
      "math.py",
      "```python",
      "<<<<<<< SEARCH",
      "    return a - b",
      "=======",
      "    return a + b",
      ">>>>>>> REPLACE",
      "```",
      "That's it!",
    ].join("\n");
    expect(cleanArtifact(reply, "search-replace")).toBe(
      "math.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE",
    );
    expect(() => cleanArtifact("no blocks here", "search-replace")).toThrow(ModelOutputError);
  });
});
