import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { ExitCode } from "../../src/errors.js";

let repo = "";
let home = "";

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

async function patchApply(
  args: string[],
  cwd = repo,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = collect();
  const stderr = collect();
  process.exitCode = undefined;
  const code = await runCli({
    argv: ["patch", "apply", ...args],
    cwd,
    env: {
      HOME: home,
      HIEROCODE_STATE_DIR: join(home, "state"),
      HIEROCODE_CACHE_DIR: join(home, "cache"),
      NO_COLOR: "1",
    },
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  process.exitCode = undefined;
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function write(path: string, content: string): void {
  mkdirSync(join(repo, path, ".."), { recursive: true });
  writeFileSync(join(repo, path), content);
}

function read(path: string): string {
  return readFileSync(join(repo, path), "utf8");
}

function reply(name: string, content: string): string {
  const path = join(home, name);
  writeFileSync(path, content);
  return path;
}

const GOOD = `Here you go.

src/app/one.py
\`\`\`python
<<<<<<< SEARCH
x = 1
=======
x = 2
>>>>>>> REPLACE
\`\`\`

lib/two.js
\`\`\`js
<<<<<<< SEARCH
let y = 1;
=======
let y = 2;
>>>>>>> REPLACE
\`\`\`
`;

const SECOND_FAILS = GOOD.replace("let y = 1;", "let y = 999;");

beforeEach(() => {
  repo = realpathSync(mkdtempSync(join(tmpdir(), "hierocode-patch-repo-")));
  home = realpathSync(mkdtempSync(join(tmpdir(), "hierocode-patch-home-")));
  execFileSync("git", ["init", "-q", repo]);
  write("src/app/one.py", "x = 1\n");
  write("lib/two.js", "let y = 1;\n");
});

afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe("hierocode patch apply", () => {
  it("applies every edit and exits 0", async () => {
    const result = await patchApply([reply("good.md", GOOD)]);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(read("src/app/one.py")).toBe("x = 2\n");
    expect(read("lib/two.js")).toBe("let y = 2;\n");
    expect(result.stderr).toContain("wrote 2 files");
  });

  it("--dry-run prints a git-compatible diff and writes nothing", async () => {
    const result = await patchApply(["--dry-run", reply("good.md", GOOD)]);
    expect(result.code).toBe(ExitCode.ok);
    expect(read("src/app/one.py")).toBe("x = 1\n");
    expect(result.stdout).toContain("diff --git a/src/app/one.py b/src/app/one.py");
    expect(result.stdout).toContain("+++ b/lib/two.js");
    writeFileSync(join(home, "out.patch"), result.stdout);
    execFileSync("git", ["apply", "--check", join(home, "out.patch")], { cwd: repo });
  });

  it("--json prints ok, edits with strategies and the diff", async () => {
    const result = await patchApply(["--json", "--dry-run", reply("good.md", GOOD)]);
    const parsed = JSON.parse(result.stdout) as {
      ok: boolean;
      edits: Record<string, unknown>[];
      diff: string;
    };
    expect(parsed.ok).toBe(true);
    expect(parsed.edits).toEqual([
      { file: "src/app/one.py", format: "search-replace", status: "applied", strategy: "exact" },
      { file: "lib/two.js", format: "search-replace", status: "applied", strategy: "exact" },
    ]);
    expect(parsed.diff).toContain("@@ -1 +1 @@");
  });

  it("--json works as a global flag before the command too", async () => {
    const stdout = collect();
    process.exitCode = undefined;
    const code = await runCli({
      argv: ["--json", "patch", "apply", "--dry-run", reply("good.md", GOOD)],
      cwd: repo,
      env: { HOME: home },
      stdout: stdout.stream,
      stderr: collect().stream,
    });
    process.exitCode = undefined;
    expect(code).toBe(0);
    expect(JSON.parse(stdout.text()).ok).toBe(true);
  });

  it("is atomic: when the second file fails the first is left untouched, exit 9", async () => {
    const result = await patchApply(["--json", reply("bad.md", SECOND_FAILS)]);
    expect(result.code).toBe(ExitCode.editsFailed);
    const parsed = JSON.parse(result.stdout) as {
      ok: boolean;
      edits: { status: string; reason?: string }[];
      diff: string;
    };
    expect(parsed.ok).toBe(false);
    expect(parsed.edits.map((edit) => edit.status)).toEqual(["applied", "failed"]);
    expect(parsed.edits[1]?.reason).toContain("not found");
    expect(parsed.diff).toBe("");
    expect(read("src/app/one.py")).toBe("x = 1\n");
    expect(read("lib/two.js")).toBe("let y = 1;\n");
  });

  it("the human failure report names the failed block, the nearest lines and what applied", async () => {
    const result = await patchApply([reply("bad.md", SECOND_FAILS)]);
    expect(result.code).toBe(ExitCode.editsFailed);
    expect(result.stderr).toContain("SEARCH/REPLACE block #2 for lib/two.js: FAILED");
    expect(result.stderr).toContain("let y = 1;");
    expect(result.stderr).toContain("Do not send them again");
    expect(result.stderr).toContain("nothing was written");
  });

  it("--partial writes what applied and still exits 9", async () => {
    const result = await patchApply(["--partial", reply("bad.md", SECOND_FAILS)]);
    expect(result.code).toBe(ExitCode.editsFailed);
    expect(read("src/app/one.py")).toBe("x = 2\n");
    expect(read("lib/two.js")).toBe("let y = 1;\n");
  });

  it("refuses path traversal without writing anything", async () => {
    const evil = `--- /dev/null\n+++ b/../escaped.txt\n@@ -0,0 +1 @@\n+gotcha\n`;
    const result = await patchApply(["--partial", "--json", reply("evil.diff", evil)]);
    expect(result.code).toBe(ExitCode.editsFailed);
    expect(JSON.parse(result.stdout).edits[0].reason).toContain("leaves the repository");
    expect(existsSync(join(repo, "..", "escaped.txt"))).toBe(false);
  });

  it("applies a plain unified diff from a subfolder of the repository (creating nested files)", async () => {
    mkdirSync(join(repo, "src", "deeper"), { recursive: true });
    const diff = `diff --git a/new/nested/file.txt b/new/nested/file.txt\nnew file mode 100644\n--- /dev/null\n+++ b/new/nested/file.txt\n@@ -0,0 +1 @@\n+hello\n`;
    const result = await patchApply([reply("new.diff", diff)], join(repo, "src", "deeper"));
    expect(result.code, result.stderr).toBe(0);
    expect(read("new/nested/file.txt")).toBe("hello\n");
  });

  it("exit 2 when the input has no edits, or cannot be read, or there is no repository", async () => {
    expect((await patchApply([reply("prose.md", "I could not find anything to change.\n")])).code).toBe(
      ExitCode.usage,
    );
    expect((await patchApply([join(home, "missing.md")])).code).toBe(ExitCode.usage);
    const elsewhere = realpathSync(mkdtempSync(join(tmpdir(), "hierocode-norepo-")));
    try {
      const result = await patchApply([reply("good.md", GOOD)], elsewhere);
      expect(result.code).toBe(ExitCode.usage);
      expect(result.stderr).toContain("not inside a git repository");
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("--repo points at another folder", async () => {
    const result = await patchApply(["--repo", repo, reply("good.md", GOOD)], home);
    expect(result.code, result.stderr).toBe(0);
    expect(read("lib/two.js")).toBe("let y = 2;\n");
  });

  // Reading stdin needs a real process; `npm test` builds dist/ first.
  const builtCli = join(import.meta.dirname, "..", "..", "dist", "cli", "main.js");
  const built = existsSync(join(import.meta.dirname, "..", "..", "dist", "cli", "commands", "patch.js"));
  it.skipIf(!built)("reads the reply from stdin in the built CLI", () => {
    const diff = "--- a/lib/two.js\n+++ b/lib/two.js\n@@ -1 +1 @@\n-let y = 1;\n+let y = 3;\n";
    const result = spawnSync(process.execPath, [builtCli, "patch", "apply", "--json", "-"], {
      cwd: repo,
      input: diff,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: home,
        HIEROCODE_STATE_DIR: join(home, "state"),
        HIEROCODE_CACHE_DIR: join(home, "cache"),
      },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).ok).toBe(true);
    expect(read("lib/two.js")).toBe("let y = 3;\n");
  });
});
