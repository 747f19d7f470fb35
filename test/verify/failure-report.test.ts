import { describe, expect, it } from "vitest";
import {
  buildFailureReport,
  detectVerifyCommand,
  parseFailures,
  trimExcerpt,
} from "../../src/verify/index.js";
import { makeRepo } from "./git-repo.js";

const pytestOutput = `..F.                                                                     [100%]
=================================== FAILURES ===================================
___________________________________ test_add ___________________________________

    def test_add():
>       assert add(2, 2) == 5
E       assert 4 == 5

tests/test_math.py:4: AssertionError
=========================== short test summary info ============================
FAILED tests/test_math.py::test_add - assert 4 == 5
1 failed, 3 passed in 0.02s`;

const vitestOutput = ` ❯ test/math.test.ts (2 tests | 1 failed) 5ms
   × math > adds 3ms

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  test/math.test.ts > math > adds
AssertionError: expected 4 to be 5 // Object.is equality`;

const jestOutput = `FAIL src/math.test.js
  ● math › adds

    expect(received).toBe(expected) // Object.is equality

    Expected: 5
    Received: 4`;

const goOutput = `=== RUN   TestAdd
    math_test.go:8: got 4, want 5
--- FAIL: TestAdd (0.00s)
FAIL
FAIL	example.com/m	0.002s`;

const cargoOutput = `running 2 tests
test tests::adds ... FAILED
test tests::ok ... ok

failures:

---- tests::adds stdout ----
thread 'tests::adds' panicked at src/lib.rs:9:9:
assertion \`left == right\` failed
  left: 4
 right: 5

failures:
    tests::adds

test result: FAILED. 1 passed; 1 failed`;

describe("parseFailures", () => {
  it.each([
    ["pytest", pytestOutput, ["tests/test_math.py::test_add"], "assert 4 == 5"],
    ["vitest", vitestOutput, ["test/math.test.ts > math > adds"], "expected 4 to be 5"],
    ["jest", jestOutput, ["math › adds"], "Received: 4"],
    ["go test", goOutput, ["TestAdd"], "got 4, want 5"],
    ["cargo test", cargoOutput, ["tests::adds"], "left: 4"],
  ])("reads %s output", (_name, output, tests, evidence) => {
    const parsed = parseFailures(output);
    expect(parsed.failingTests).toEqual(tests);
    expect(parsed.excerpt).toContain(evidence);
  });

  it("strips colors and falls back to the tail for unknown runners", () => {
    const lines = Array.from({ length: 200 }, (_, index) => `line ${index}`);
    const parsed = parseFailures(`\u001b[31m${lines.join("\n")}\u001b[0m`);
    expect(parsed.failingTests).toEqual([]);
    expect(parsed.excerpt).toContain("line 199");
    expect(parsed.excerpt).not.toContain("line 100\n");
    expect(parsed.excerpt).not.toContain("\u001b");
  });

  it("keeps reports tight", () => {
    const huge = Array.from({ length: 1000 }, (_, index) => `detail ${index} ${"x".repeat(50)}`).join("\n");
    const trimmed = trimExcerpt(huge);
    expect(trimmed.length).toBeLessThanOrEqual(6_100);
    expect(trimmed).toContain("detail 0 ");
    expect(trimmed).toContain("detail 999 ");
    const report = buildFailureReport({
      command: "pytest",
      exitCode: 1,
      timedOut: false,
      timeoutSeconds: 5,
      output: pytestOutput,
    });
    expect(report.report.split("\n")[0]).toBe("Verification command `pytest` failed (exit 1).");
    expect(report.report).toContain("Failing tests: tests/test_math.py::test_add");
  });
});

describe("detectVerifyCommand", () => {
  it.each([
    [{ "package.json": '{"scripts":{"test":"vitest run"}}' }, "npm test"],
    [
      {
        "package.json": '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}',
        "pyproject.toml": "[project]\nname='x'\n",
      },
      "python3 -m pytest -q",
    ],
    [{ "setup.cfg": "[metadata]\nname = x\n" }, "python3 -m pytest -q"],
    [{ Makefile: "build:\n\ttrue\ntest: build\n\ttrue\n" }, "make test"],
    [{ Makefile: "build:\n\ttrue\n", "go.mod": "module x\n" }, "go test ./..."],
    [{ "Cargo.toml": "[package]\nname='x'\n" }, "cargo test"],
  ])("detects %o", (files, command) => {
    expect(detectVerifyCommand(makeRepo(files as Record<string, string>))?.command).toBe(command);
  });
});

describe("node:test file-level failures", () => {
  it("keeps the load error that node:test prints before its summary", () => {
    const output = [
      "node:internal/modules/esm/resolve:275",
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/repo/src/slug.js' imported from /repo/test/slug.test.js",
      "✖ test/slug.test.js (109ms)",
      "ℹ tests 2",
      "ℹ fail 1",
      "",
      "✖ failing tests:",
      "",
      "test at test/slug.test.js:1:1",
      "✖ test/slug.test.js (109ms)",
      "  'test failed'",
    ].join("\n");
    const parsed = parseFailures(output);
    expect(parsed.failingTests).toEqual(["test/slug.test.js"]);
    expect(parsed.excerpt).toContain("Cannot find module '/repo/src/slug.js'");
  });
});
