/**
 * One CLI contract: bad numbers and paths are usage errors (exit 2); every error is `error: …`
 * plus `hint: …` on stderr, or with --json one object `{ ok: false, error: { code, message, hint } }`
 * on stdout; every --json success is one object with `ok: true`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runFailure } from "../../src/cli/commands/run.js";
import { ExitCode } from "../../src/errors.js";
import { cli, sandboxHome } from "../app/cli-harness.js";

const scratch = mkdtempSync(join(tmpdir(), "hc-contract-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const box = sandboxHome();
afterAll(() => rmSync(join(box.home, ".."), { recursive: true, force: true }));
const env = { ...box.env, PATH: process.env.PATH ?? "" };
writeFileSync(
  join(box.home, ".hierocode.yaml"),
  [
    "providers:",
    "  local:",
    "    type: ollama",
    "    base_url: http://127.0.0.1:9",
    "routing:",
    "  planner: { provider: local, model: llama3.2:3b }",
    "  drafter: { provider: local, model: qwen2.5-coder:7b }",
    "",
  ].join("\n"),
);
const repo = join(scratch, "repo");
mkdirSync(join(repo, "src"), { recursive: true });
writeFileSync(join(repo, "src", "a.py"), "def f():\n    return 1\n");
spawnSync("git", ["init", "-q"], { cwd: repo });
const plain = join(scratch, "not-a-repo");
mkdirSync(plain);
symlinkSync(plain, join(repo, "out"));

const usageErrors: Array<[what: string, argv: string[], message: RegExp]> = [
  ["an unknown command", ["frob"], /unknown command 'frob'/],
  ["an unknown option", ["doctor", "--bogus"], /unknown option '--bogus'/],
  ["help for an unknown command", ["help", "frob"], /unknown command 'frob'/],
  ["a word for a number", ["workers", "suggest", "--context", "abc"], /--context <tokens>.*'abc' is invalid/],
  ["a word for seconds", ["doctor", "--timeout", "abc"], /--timeout <seconds>.*'abc' is invalid/],
  ["zero seconds", ["doctor", "--timeout", "0"], /--timeout <seconds>.*'0' is invalid/],
  ["a file that does not exist", ["repo", "symbols", "nonexist.py"], /no such file or folder: nonexist\.py/],
  ["a path outside the repository", ["repo", "symbols", ".."], /outside the repository/],
  ["--repo on a folder outside git", ["run", "-t", "x", "--repo", plain], /not inside a git repository/],
  [
    "draft --file outside the repository",
    ["draft", "-t", "x", "--file", "../x.py"],
    /not a file inside the repository/,
  ],
  ["--repo on a missing folder", ["plan", "-t", "x", "--repo", join(scratch, "nope")], /is not a folder/],
  [
    "trust --repo on a missing folder",
    ["trust", "--repo", join(scratch, "nope")],
    /--repo .*nope is not a folder/,
  ],
  ["draft --file on a folder", ["draft", "-t", "x", "--file", "src"], /--file src is a folder/],
  ["draft --file in .git/", ["draft", "-t", "x", "--file", ".git/config"], /path inside \.git refused/],
  [
    "draft --file through a symlink out",
    ["draft", "-t", "x", "--file", "out/x.py"],
    /leads out of the repository/,
  ],
  ["review --file on a folder", ["review", "-t", "x", "--file", "src"], /--file src is a folder/],
  [
    "review --file that does not exist",
    ["review", "-t", "x", "--file", "nope.py"],
    /--file nope\.py does not exist/,
  ],
  ["plan --write into .git/", ["plan", "-t", "x", "--write", ".git/HEAD"], /path inside \.git refused/],
  ["worker --max-tokens 0", ["worker", "--max-tokens", "0", "hi"], /--max-tokens expects a whole number/],
  [
    "repo symbols --repo on a folder outside git",
    ["repo", "symbols", "--repo", plain],
    /--repo .*not-a-repo is not inside a git repository/,
  ],
  [
    "repo map --repo on a folder outside git",
    ["repo", "map", "--repo", plain],
    /is not inside a git repository/,
  ],
  ["doctor --repo on a missing folder", ["doctor", "--repo", join(scratch, "nope")], /is not a folder/],
  // "test" exists beside the test process, not in the current folder: --repo is relative to the latter.
  [
    "doctor --repo relative to the current folder",
    ["doctor", "--repo", "test"],
    /--repo test is not a folder/,
  ],
  ["doctor --repo on a folder outside git", ["doctor", "--repo", plain], /is not inside a git repository/],
  ["tokens count on a missing file", ["tokens", "count", "nope.txt"], /cannot read nope\.txt: no such file/],
  ["patch apply on a missing file", ["patch", "apply", "nope.txt"], /cannot read nope\.txt: no such file$/],
  [
    "supervisor init --repo on a missing folder",
    ["supervisor", "init", "--repo", join(scratch, "nope")],
    /--repo .*nope is not a folder/,
  ],
];
// Run in a folder outside any git repository (the repository commands refuse it, like run does).
const outsideGit: Array<[what: string, argv: string[]]> = [
  ["repo map", ["repo", "map"]],
  ["repo symbols", ["repo", "symbols", "--json"]],
];

describe("CLI contract", () => {
  for (const [what, argv, message] of usageErrors) {
    it(`${what}: exit 2, error + hint on stderr; with --json one error object`, async () => {
      const text = await cli(argv, env, repo);
      expect(text.code, text.stderr).toBe(ExitCode.usage);
      expect(text.stdout).toBe("");
      expect(text.stderr).toMatch(/^error: [^\n]+\nhint: [^\n]+\n$/);
      expect(text.stderr.split("\n")[0]).toMatch(message);

      const json = await cli(["--json", ...argv], env, repo);
      expect(json.code).toBe(ExitCode.usage);
      expect(json.stderr).toBe("");
      const parsed = JSON.parse(json.stdout) as { ok: boolean; error: Record<string, string> };
      expect(parsed).toEqual({
        ok: false,
        error: { code: "usage", message: expect.stringMatching(message), hint: expect.any(String) },
      });
    });
  }

  it("--json --version is the version command's object; --json without a command is a usage error", async () => {
    for (const argv of [
      ["--json", "--version"],
      ["-V", "--json"],
    ]) {
      const version = await cli(argv, env, repo);
      expect(version.code).toBe(0);
      expect(JSON.parse(version.stdout)).toEqual({
        ok: true,
        version: expect.any(String),
        node: process.version,
      });
    }
    expect((await cli(["--version"], env, repo)).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const bare = await cli(["--json"], env, repo);
    expect(bare.code).toBe(ExitCode.usage);
    expect(JSON.parse(bare.stdout)).toEqual({
      ok: false,
      error: { code: "usage", message: "no command given", hint: expect.any(String) },
    });
  });

  it("usage --since with nothing in the window says so, not that nothing was ever recorded", async () => {
    const result = await cli(["usage", "--since", "1h"], env, repo);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^no model calls since 1h\n/);
  });

  it("review --file is relative to the current folder, like draft --file", async () => {
    // From src/, "src/a.py" names src/src/a.py (before, review read it from the repository root).
    const result = await cli(["review", "-t", "x", "--file", "src/a.py"], env, join(repo, "src"));
    expect(result.code, result.stderr).toBe(ExitCode.usage);
    expect(result.stderr).toMatch(
      /^error: --file src\/a\.py does not exist\nhint: paths are relative to the current folder/,
    );
  });

  for (const [what, argv] of outsideGit) {
    it(`${what} outside a git repository: exit 2, nothing indexed`, async () => {
      const result = await cli(argv, env, plain);
      expect(result.code, result.stderr).toBe(ExitCode.usage);
      expect(result.stderr + result.stdout).toMatch(/not inside a git repository/);
    });
  }

  it("repo symbols on a file over 1 MiB lists it as skipped with the reason, in text and JSON", async () => {
    writeFileSync(join(repo, "huge.py"), "x = 1\n".repeat(200_000)); // 1.2 MB
    try {
      const json = await cli(["repo", "symbols", "huge.py", "src/a.py", "--json"], env, repo);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: true,
        symbols: [expect.objectContaining({ path: "src/a.py", name: "f" })],
        skipped: [{ path: "huge.py", reason: expect.stringMatching(/too large: 1,200,000 bytes.*1 MiB/) }],
      });
      const text = await cli(["repo", "symbols", "huge.py"], env, repo);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toBe("");
      expect(text.stderr).toMatch(
        /^warning: skipped huge\.py: too large: 1,200,000 bytes, over the index's limit of 1,048,576 bytes \(1 MiB\)\n$/,
      );
      // Named from a subfolder, the path is shown as typed (relative to the current folder).
      const fromSrc = await cli(["repo", "symbols", "../huge.py", "--json"], env, join(repo, "src"));
      expect(JSON.parse(fromSrc.stdout)).toMatchObject({ skipped: [{ path: "../huge.py" }] });
    } finally {
      rmSync(join(repo, "huge.py"));
    }
  });

  it("run --estimate --apply without a terminal estimates (it applies nothing)", async () => {
    const result = await cli(["run", "-t", "x", "--estimate", "--apply"], env, repo);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Estimate for: x\n/);
  });

  it("run --resume with an unknown run id lists the recent runs in its hint", async () => {
    const none = await cli(["run", "--resume", "nonexistent"], env, repo);
    expect(none.code).toBe(ExitCode.usage);
    expect(none.stderr).toMatch(
      /\nhint: no run has been logged in this repository yet; start one with hierocode run -t/,
    );
    const logs = join(repo, ".haco", "logs");
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, "20261129-101010-aaaaaa.jsonl"), "");
    writeFileSync(join(logs, "20261130-101010-bbbbbb.jsonl"), "");
    try {
      const some = await cli(["--json", "run", "--resume", "nonexistent"], env, repo);
      expect(some.code).toBe(ExitCode.usage);
      expect(JSON.parse(some.stdout).error.hint).toBe(
        `recent runs here, newest first: 20261130-101010-bbbbbb, 20261129-101010-aaaaaa (all: ls ${logs})`,
      );
    } finally {
      rmSync(join(repo, ".haco"), { recursive: true, force: true });
    }
  });

  it("tokens count on a missing file: the hint says paths are relative to the current folder", async () => {
    const result = await cli(["tokens", "count", "a.py"], env, repo);
    expect(result.stderr).toBe(
      `error: cannot read a.py: no such file\nhint: paths are relative to the current folder (${repo}); - reads stdin\n`,
    );
  });

  it("run --verify in a repository without commits: the hint says to commit, not to git init", async () => {
    const result = await cli(["run", "-t", "x", "--verify", "true"], env, repo);
    expect(result.code, result.stderr).toBe(ExitCode.usage);
    expect(result.stderr).toBe(
      "error: verification needs a git repository with at least one commit\n" +
        `hint: commit first: \`git add -A && git commit -m init\` in ${repo}, or drop --verify\n`,
    );
  });

  it("a usage error without a hint of its own points at the command's --help", async () => {
    const result = await cli(["usage", "--since", "garbage"], env, repo);
    expect(result.stderr).toBe(
      "error: --since: 'garbage' is not a duration (24h, 7d) or a date\nhint: run 'hierocode usage --help' for usage\n",
    );
    const nested = await cli(["--json", "repo", "map", "--tokens", "0"], env, repo);
    expect(JSON.parse(nested.stdout).error.hint).toBe("run 'hierocode repo map --help' for usage");
  });

  it("a config error brings a hint too", async () => {
    const broken = sandboxHome();
    afterAll(() => rmSync(join(broken.home, ".."), { recursive: true, force: true }));
    writeFileSync(join(broken.home, ".hierocode.yaml"), "providers: 3\n");
    const result = await cli(["models", "show"], broken.env, repo);
    expect(result.code).toBe(ExitCode.config);
    expect(result.stderr).toMatch(/^error: [^\n]+\n(?:[^\n]*\n)*hint: [^\n]+\n$/);
  });

  it("config show --json on an invalid config: ok false and exit 3, as without --json", async () => {
    const missing = join(scratch, "missing.yaml");
    const text = await cli(["config", "show", "-c", missing], env, repo);
    expect(text.code).toBe(ExitCode.config);
    const json = await cli(["config", "show", "--json", "-c", missing], env, repo);
    expect(json.code).toBe(ExitCode.config);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      errors: [expect.stringContaining("missing.yaml")],
    });
  });

  // Reports that fail (doctor, config validate, patch apply, run, draft) keep their own fields and
  // carry the same error object as every other failure.
  const staleReply = join(scratch, "stale-reply.txt");
  writeFileSync(
    staleReply,
    "src/a.py\n<<<<<<< SEARCH\n    return 2\n=======\n    return 3\n>>>>>>> REPLACE\n",
  );
  const failedReports: Array<[argv: string[], exit: number, code: string]> = [
    [["doctor", "--json", "--timeout", "2"], ExitCode.checksFailed, "checks_failed"],
    [["config", "validate", "--json", "-c", join(scratch, "missing.yaml")], ExitCode.config, "config"],
    [["config", "show", "--json", "-c", join(scratch, "missing.yaml")], ExitCode.config, "config"],
    [["patch", "apply", "--json", staleReply], ExitCode.editsFailed, "edits_failed"],
  ];
  for (const [argv, exit, code] of failedReports) {
    it(`${argv
      .filter((arg) => arg !== "--json")
      .slice(0, 2)
      .join(" ")} --json that fails: ok false with error {code, message, hint}`, async () => {
      const result = await cli(argv, env, repo);
      expect(result.code, result.stderr).toBe(exit);
      const parsed = JSON.parse(result.stdout) as { ok: boolean; error?: Record<string, string> };
      expect(parsed.ok).toBe(false);
      expect(parsed.error).toEqual({ code, message: expect.any(String), hint: expect.any(String) });
      expect(parsed.error?.message?.length).toBeGreaterThan(10);
    });
  }

  it("run --json: the error follows the exit code (unwritten 9 > units not accepted 12 > unverified 11)", () => {
    const clean = { failed: [], skipped: [], verification: { unverifiedUnits: [] } };
    expect(runFailure(clean, 0)).toBeUndefined();
    expect(runFailure({ ...clean, verification: { unverifiedUnits: ["u2"] } }, 0)).toMatchObject({
      code: "verify_failed",
      message: expect.stringContaining("u2"),
    });
    expect(runFailure({ ...clean, failed: ["u1"], skipped: ["u3"] }, 0)).toMatchObject({
      code: "units_failed",
      message: "units not accepted: u1, u3",
      hint: expect.any(String),
    });
    expect(runFailure({ ...clean, failed: ["u1"] }, 2)).toMatchObject({ code: "edits_failed" });
  });

  const successes: string[][] = [
    ["version", "--json"],
    ["resources", "--json"],
    ["config", "path", "--json"],
    ["config", "show", "--json"],
    ["config", "schema", "--json"],
    ["providers", "list", "--json"],
    ["models", "show", "--json"],
    ["repo", "symbols", "--json"],
    ["repo", "symbols", "src", "--json"],
    ["tokens", "count", "src/a.py", "--json"],
  ];
  for (const argv of successes) {
    it(`${argv.join(" ")} prints one object with ok: true`, async () => {
      const result = await cli(argv, env, repo);
      expect(result.code, result.stderr).toBe(0);
      const parsed = JSON.parse(result.stdout) as unknown;
      expect(Array.isArray(parsed)).toBe(false);
      expect(parsed).toMatchObject({ ok: true });
    });
  }
});
