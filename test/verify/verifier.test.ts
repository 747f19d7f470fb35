import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import type { Verifier } from "../../src/pipeline/hooks.js";
import { createVerifier, createVerifierFromOptions, verifierForRun } from "../../src/verify/index.js";
import { git, makeRepo, processGone, worktreeCount, writeFiles } from "./git-repo.js";

const mathSource =
  "export function add(a, b) { return a + b; }\nexport function mul(a, b) { return a * b; }\n";
const tests = [
  'import test from "node:test";',
  'import assert from "node:assert";',
  'import { add, mul } from "../src/math.js";',
  'test("add works", () => assert.strictEqual(add(2, 2), 4));',
  'test("mul works", () => assert.strictEqual(mul(2, 3), 6));',
  'test("already broken", () => assert.strictEqual(1, 2));',
  "",
].join("\n");

function sampleRepo(): string {
  return makeRepo({
    "package.json": '{"type":"module"}\n',
    "src/math.js": mathSource,
    "test/math.test.js": tests,
  });
}

const command = "node --test";

let verifier: Verifier | null = null;
afterEach(async () => {
  await verifier?.dispose();
  verifier = null;
});

describe("verifier", () => {
  it("does not blame tests that already failed at baseline", async () => {
    const root = sampleRepo();
    verifier = createVerifier({ repoRoot: root, command, timeoutSeconds: 30 });
    const baseline = await verifier.baseline();
    expect(baseline.ok).toBe(false);
    expect(baseline.failingTests).toEqual(["already broken"]);

    const broken = await verifier.verify([
      { file: "src/math.js", before: mathSource, after: mathSource.replace("a * b", "a * b + 1") },
    ]);
    expect(broken.ok).toBe(false);
    expect(broken.failingTests.sort()).toEqual(["already broken", "mul works"]);
    expect(verifier.newFailures(broken, baseline)).toEqual(["mul works"]);
    expect(broken.report).toContain("mul works");
    expect(broken.report).toContain("7 !== 6");

    // the next round starts from the baseline again, not from the previous draft
    const other = await verifier.verify([
      { file: "src/extra.js", before: null, after: "export const x = 1;\n" },
    ]);
    expect(verifier.newFailures(other, baseline)).toEqual([]);
  });

  it("never touches the user's working tree and mirrors uncommitted and untracked files", async () => {
    const root = sampleRepo();
    // the user's uncommitted fix of the broken test and an untracked helper the tests import
    writeFileSync(
      join(root, "test/math.test.js"),
      tests.replace("assert.strictEqual(1, 2)", "assert.ok(true)"),
    );
    writeFiles(root, {
      "src/helper.js": "export const two = 2;\n",
      "test/helper.test.js":
        'import test from "node:test";\nimport assert from "node:assert";\nimport { two } from "../src/helper.js";\ntest("helper", () => assert.strictEqual(two, 2));\n',
    });
    const statusBefore = git(root, "status", "--porcelain");
    verifier = createVerifier({ repoRoot: root, command, timeoutSeconds: 30 });
    const baseline = await verifier.baseline();
    expect(baseline.ok).toBe(true);
    const outcome = await verifier.verify([
      { file: "src/math.js", before: mathSource, after: "export const broken = ;\n" },
    ]);
    expect(outcome.ok).toBe(false);
    expect(verifier.newFailures(outcome, baseline).length).toBeGreaterThan(0);
    expect(readFileSync(join(root, "src/math.js"), "utf8")).toBe(mathSource);
    expect(git(root, "status", "--porcelain")).toBe(statusBefore);
  });

  it("leaves no git worktree entry in the user's repository and removes the sandbox on dispose", async () => {
    const root = sampleRepo();
    mkdirSync(join(root, "node_modules/dep"), { recursive: true });
    writeFileSync(join(root, "node_modules/dep/index.js"), "export default 1;\n");
    writeFileSync(join(root, ".gitignore"), "node_modules\n");
    verifier = createVerifier({ repoRoot: root, command: "ls node_modules/dep", timeoutSeconds: 30 });
    const outcome = await verifier.baseline();
    expect(outcome.ok).toBe(true);
    expect(worktreeCount(root)).toBe(1);
    await verifier.dispose();
    expect(worktreeCount(root)).toBe(1);
    // the user's dependency folder survives the cleanup
    expect(existsSync(join(root, "node_modules/dep/index.js"))).toBe(true);
  });

  it("kills the whole process group on timeout", async () => {
    const root = sampleRepo();
    const pidFile = join(root, "background.pid");
    verifier = createVerifier({
      repoRoot: root,
      command: `sleep 30 & echo $! > ${pidFile}; sleep 30`,
      timeoutSeconds: 0.5,
    });
    const outcome = await verifier.baseline();
    expect(outcome.timedOut).toBe(true);
    expect(outcome.ok).toBe(false);
    expect(outcome.report).toContain("timed out after 0.5s");
    const backgroundPid = Number(readFileSync(pidFile, "utf8").trim());
    expect(await processGone(backgroundPid)).toBe(true);
  });

  it("blames an unparseable failure only when the baseline was green", async () => {
    const root = sampleRepo();
    verifier = createVerifier({ repoRoot: root, command: "test ! -f BROKEN", timeoutSeconds: 10 });
    const baseline = await verifier.baseline();
    const outcome = await verifier.verify([{ file: "BROKEN", before: null, after: "x" }]);
    expect(baseline.ok).toBe(true);
    expect(outcome.ok).toBe(false);
    expect(verifier.newFailures(outcome, baseline)).toEqual(["test ! -f BROKEN (exit 1)"]);
    expect(verifier.newFailures(outcome, outcome)).toEqual([]);
  });

  it("auto-detects the command, and refuses --verify without one when nothing is detectable", async () => {
    const root = makeRepo({ "package.json": '{"scripts":{"test":"node --test"}}\n' });
    verifier = await createVerifierFromOptions({ repoRoot: root, command: true, timeoutSeconds: 10 });
    expect(verifier.command).toBe("npm test");
    const bare = makeRepo({ "README.md": "hi\n" });
    await expect(
      createVerifierFromOptions({ repoRoot: bare, command: true, timeoutSeconds: 10 }),
    ).rejects.toBeInstanceOf(UsageError);
    const explicit = await createVerifierFromOptions({
      repoRoot: bare,
      command: "make check",
      timeoutSeconds: 10,
    });
    expect(explicit.command).toBe("make check");
  });
});

describe("verifierForRun", () => {
  const policy = (verify_command?: string) => ({
    verify_timeout_seconds: 30,
    ...(verify_command ? { verify_command } : {}),
  });
  it("prefers the flag's command, then policy.verify_command, then auto-detection", async () => {
    const root = makeRepo({ "go.mod": "module x\n" });
    const fromFlag = await verifierForRun({ repoRoot: root, flag: "make check", policy: policy("npm test") });
    const fromPolicy = await verifierForRun({ repoRoot: root, flag: true, policy: policy("npm test") });
    const detected = await verifierForRun({ repoRoot: root, flag: true, policy: policy() });
    const implicit = await verifierForRun({ repoRoot: root, flag: undefined, policy: policy("npm test") });
    expect([fromFlag?.command, fromPolicy?.command, detected?.command, implicit?.command]).toEqual([
      "make check",
      "npm test",
      "go test ./...",
      "npm test",
    ]);
    expect(await verifierForRun({ repoRoot: root, flag: undefined, policy: policy() })).toBeUndefined();
    expect(await verifierForRun({ repoRoot: root, flag: false, policy: policy("npm test") })).toBeUndefined();
  });
});

function hasPytest(): boolean {
  try {
    execFileSync("python3", ["-m", "pytest", "--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("verifier with pytest", () => {
  it.skipIf(!hasPytest())("parses real pytest output and blames only the new failure", async () => {
    const source = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n";
    const root = makeRepo({
      "pyproject.toml": "[project]\nname = 'calc'\nversion = '0.1.0'\n",
      "calc.py": source,
      "tests/test_calc.py":
        "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 2) == 4\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n\n\ndef test_known_bug():\n    assert add(0.1, 0.2) == 0.3\n",
    });
    verifier = await createVerifierFromOptions({ repoRoot: root, command: true, timeoutSeconds: 60 });
    expect(verifier.command).toBe("python3 -m pytest -q");
    const baseline = await verifier.baseline();
    expect(baseline.failingTests).toEqual(["tests/test_calc.py::test_known_bug"]);
    const outcome = await verifier.verify([
      { file: "calc.py", before: source, after: source.replace("a * b", "a ** b") },
    ]);
    expect(verifier.newFailures(outcome, baseline)).toEqual(["tests/test_calc.py::test_mul"]);
    expect(outcome.report).toContain("assert 8 == 6");
  });
});
