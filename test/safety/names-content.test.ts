/**
 * Issue 11, item 9: git's C-quoted names are decoded as git does; NUL bytes and invalid UTF-8 are
 * refused like binary; control and bidi characters in paths are refused and printed escaped.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { escapeTerminal } from "../../src/cli/output.js";
import { unquoteGitPath } from "../../src/edits/parse-filename.js";
import { checkRelativePath, checkTextContent, printablePath } from "../../src/edits/path-rules.js";
import { ExitCode } from "../../src/errors.js";
import { cli, sandboxHome } from "../app/cli-harness.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

function repo(): { repo: string; env: Record<string, string>; home: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "hc-names-")));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, "repo");
  execFileSync("git", ["init", "-q", dir]);
  const { env, home } = sandboxHome();
  cleanups.push(() => rmSync(join(home, ".."), { recursive: true, force: true }));
  return { repo: dir, env, home };
}

describe("git's quoted names", () => {
  it.each([
    ['"b/donn\\303\\251es.py"', "b/données.py"],
    ['"a/tab\\there.txt"', "a/tab\there.txt"],
    ['"b/quote\\"d.py"', 'b/quote"d.py'],
    ['"b/back\\\\slash.py"', "b/back\\slash.py"],
    ['"b/\\346\\227\\245\\346\\234\\254.md"', "b/日本.md"],
    ["b/plain.py\t2024-01-01 00:00:00", "b/plain.py"],
  ])("%s is %s", (raw, expected) => {
    expect(unquoteGitPath(raw)).toBe(expected);
  });

  it.each(['"b/bad\\q.py"', '"b/\\377\\376.py"', '"b/unfinished\\"'])("%s is refused (null)", (raw) => {
    expect(unquoteGitPath(raw)).toBeNull();
  });

  it("patch apply creates données.py from a diff git wrote, not donn/303/251es.py", async () => {
    const { repo: dir, env, home } = repo();
    const diff = [
      'diff --git "a/donn\\303\\251es.py" "b/donn\\303\\251es.py"',
      "new file mode 100644",
      "--- /dev/null",
      '+++ "b/donn\\303\\251es.py"',
      "@@ -0,0 +1 @@",
      "+x = 1",
      "",
    ].join("\n");
    writeFileSync(join(home, "reply.diff"), diff);
    const result = await cli(["patch", "apply", join(home, "reply.diff")], env, dir);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(readFileSync(join(dir, "données.py"), "utf8")).toBe("x = 1\n");
    expect(existsSync(join(dir, "donn"))).toBe(false);
    // git itself reads the name back the same way
    execFileSync("git", ["add", "-A"], { cwd: dir });
    expect(
      execFileSync("git", ["-c", "core.quotePath=false", "ls-files"], { cwd: dir, encoding: "utf8" }),
    ).toBe("données.py\n");
  });
});

describe("content that is not text", () => {
  it("refuses an edit that writes a NUL byte into a .py, and writes nothing", async () => {
    const { repo: dir, env, home } = repo();
    writeFileSync(join(dir, "a.py"), "x = 1\n");
    writeFileSync(
      join(home, "reply.md"),
      "a.py\n```\n<<<<<<< SEARCH\nx = 1\n=======\nx = '\u0000'\n>>>>>>> REPLACE\n```\n",
    );
    const result = await cli(["patch", "apply", join(home, "reply.md")], env, dir);
    expect(result.code).toBe(ExitCode.editsFailed);
    expect(result.stderr).toContain("NUL byte");
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe("x = 1\n");
  });

  it("refuses lone surrogates (text with no UTF-8 form)", () => {
    expect(() => checkTextContent("a.py", "x = '\ud800'\n")).toThrow(/invalid UTF-8/);
    expect(() => checkTextContent("a.py", "emoji = '😀'\n")).not.toThrow();
  });
});

describe("control and bidi characters in paths", () => {
  const esc = "\u001b";
  it.each([
    [`src/${esc}]0;pwned${esc}\\.py`, "\\x1b]0;pwned\\x1b\\.py"],
    [`src/${esc}[31mred.py`, "\\x1b[31mred.py"],
    ["src/evil\u202egnp.py", "evil\\u202egnp.py"],
    ["src/new\nline.py", "new\\x0aline.py"],
  ])("refuses %j and prints it escaped", (path, shown) => {
    expect(() => checkRelativePath(path)).toThrow(/control or bidirectional characters/);
    expect(printablePath(path)).toContain(shown);
  });

  it("patch apply refuses a file name with an OSC escape and never echoes the raw escape", async () => {
    const { repo: dir, env, home } = repo();
    const name = `a${esc}]2;owned${String.fromCharCode(7)}.py`;
    writeFileSync(join(home, "reply.md"), `${name}\n\`\`\`python\nx = 1\n\`\`\`\n`);
    const result = await cli(["patch", "apply", join(home, "reply.md")], env, dir);
    expect(result.code).not.toBe(ExitCode.ok);
    expect(readdirSync(dir)).toEqual([".git"]);
    expect(`${result.stdout}${result.stderr}`).not.toContain(esc);
    expect(`${result.stdout}${result.stderr}`).not.toContain(String.fromCharCode(7));
  });

  it("stderr keeps colours but escapes other control sequences", () => {
    expect(escapeTerminal(`\u001b[31merror:\u001b[39m ${esc}]0;title\u0007`)).toBe(
      "\u001b[31merror:\u001b[39m \\x1b]0;title\\x07",
    );
  });
});
