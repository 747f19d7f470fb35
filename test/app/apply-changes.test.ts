/**
 * `applyChanges` (run --apply): a refusal is reported as a refusal with its reason (not as a
 * conflict), and the files of units depending on an unwritable file are held back.
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyChanges, heldBackFiles, unwrittenCount } from "../../src/app/run.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function repo(): { root: string; env: Record<string, string>; outside: string } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), "hc-apply-changes-")));
  folders.push(base);
  const root = join(base, "repo");
  mkdirSync(join(root, ".git"), { recursive: true });
  mkdirSync(join(root, "src"));
  const outside = join(base, "outside.py");
  writeFileSync(outside, "SECRET = 1\n");
  return { root, env: { HIEROCODE_STATE_DIR: join(base, "state") }, outside };
}

describe("applyChanges", () => {
  it("reports a symlink out of the repository as refused, writes the rest, and counts it as unwritten", async () => {
    const { root, env, outside } = repo();
    symlinkSync(outside, join(root, "src", "link.py"));
    writeFileSync(join(root, "src", "ok.py"), "A = 1\n");
    const outcome = await applyChanges(
      root,
      [
        { file: "src/link.py", before: "SECRET = 1\n", after: "SECRET = 2\n" },
        { file: "src/ok.py", before: "A = 1\n", after: "A = 2\n" },
      ],
      undefined,
      { env },
    );
    expect(outcome.conflicts).toEqual([]);
    expect(outcome.refused.map((refusal) => refusal.file)).toEqual(["src/link.py"]);
    expect(outcome.refused[0]?.reason).toMatch(/outside the repository/);
    expect(outcome.written).toEqual(["src/ok.py"]);
    expect(unwrittenCount(outcome)).toBe(1);
    expect(readFileSync(outside, "utf8")).toBe("SECRET = 1\n");
  });

  it("holds back the files of units that depend on, share a file with, or import an unwritable file", () => {
    const changes = [
      { file: "src/util.py", before: "", after: "def triple(x):\n    return 3 * x\n" },
      { file: "tests/test_util.py", before: null, after: "from src.util import triple\n" },
      { file: "web/math.ts", before: "", after: "export const k = 1;\n" },
      { file: "web/use.ts", before: null, after: 'import { k } from "./math.js";\n' },
      { file: "docs/a.md", before: "", after: "x\n" },
      { file: "docs/b.md", before: "", after: "y\n" },
    ];
    const units = [
      { id: "u1", files: ["src/util.py"], dependsOn: [] },
      { id: "u2", files: ["tests/test_util.py"], dependsOn: [] }, // imports src/util.py
      { id: "u3", files: ["web/math.ts"], dependsOn: [] },
      { id: "u4", files: ["web/use.ts"], dependsOn: [] }, // imports ./math.js
      { id: "u5", files: ["docs/a.md"], dependsOn: ["u3"] },
      { id: "u6", files: ["docs/b.md"], dependsOn: [] },
    ];
    expect([...heldBackFiles(new Set(["src/util.py"]), units, changes).keys()]).toEqual([
      "tests/test_util.py",
    ]);
    expect([...heldBackFiles(new Set(["web/math.ts"]), units, changes).keys()].sort()).toEqual([
      "docs/a.md",
      "web/use.ts",
    ]);
  });
});
