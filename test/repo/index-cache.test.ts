import { statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clearIndexCache, indexRepo } from "../../src/repo/index.js";
import { closeAllDatabases } from "../../src/store/database.js";
import { type TempRepo, tempRepo } from "./helpers.js";

let repo: TempRepo | undefined;
afterEach(() => {
  closeAllDatabases();
  repo?.cleanup();
});

const files = {
  "a.py": "def alpha():\n    return beta()\n",
  "b.py": "def beta():\n    return 2\n",
  "c.ts": "export function gamma(): number { return 3; }\n",
  "README.md": "# readme\n",
};

/** Sets every file's mtime well in the past, so the cache can trust mtimes. */
function age(root: string, paths: string[], seconds = 3600): void {
  const when = new Date(Date.now() - seconds * 1000);
  for (const path of paths) utimesSync(join(root, path), when, when);
}

describe("incremental index", () => {
  it("parses everything cold, nothing warm, and exactly the touched file after an edit", async () => {
    repo = tempRepo(files);
    age(repo.root, Object.keys(files));
    const cold = await indexRepo(repo.root, { env: repo.env });
    expect(cold).toMatchObject({ parsed: 3, reused: 0 });
    expect(cold.files.map((file) => file.path)).toEqual(["README.md", "a.py", "b.py", "c.ts"]);
    expect(cold.files.find((file) => file.path === "a.py")?.references).toContain("beta");

    const warm = await indexRepo(repo.root, { env: repo.env });
    expect(warm).toMatchObject({ parsed: 0, reused: 3, verified: 0 });
    expect(warm.files).toEqual(cold.files);

    repo.write("b.py", "def beta():\n    return 2\n\ndef delta():\n    pass\n");
    const touched = await indexRepo(repo.root, { env: repo.env });
    expect(touched).toMatchObject({ parsed: 1, reused: 2 });
    expect(touched.files.find((file) => file.path === "b.py")?.symbols.map((symbol) => symbol.name)).toEqual([
      "beta",
      "delta",
    ]);
  });

  it("checks the content hash when the mtime is too close to the last index to be trusted", async () => {
    repo = tempRepo(files);
    const now = Date.now();
    // Indexed within the same second the files were written: mtimes are racy.
    const first = await indexRepo(repo.root, { env: repo.env, now: () => now });
    expect(first.parsed).toBe(3);
    const before = statSync(join(repo.root, "b.py")).mtime;
    // Same size, same mtime, different content: only the hash can tell.
    repo.write("b.py", "def BETA():\n    return 2\n");
    utimesSync(join(repo.root, "b.py"), before, before);
    const second = await indexRepo(repo.root, { env: repo.env, now: () => now + 10_000 });
    expect(second.parsed).toBe(1);
    expect(second.verified).toBe(2);
    expect(second.files.find((file) => file.path === "b.py")?.symbols[0]?.name).toBe("BETA");
    // Re-verified rows are stamped with the new index time and trusted afterwards.
    const third = await indexRepo(repo.root, { env: repo.env, now: () => now + 20_000 });
    expect(third).toMatchObject({ parsed: 0, verified: 0, reused: 3 });
  });

  it("forgets deleted files and indexes new ones", async () => {
    repo = tempRepo(files);
    age(repo.root, Object.keys(files));
    await indexRepo(repo.root, { env: repo.env });
    repo.write("d.go", "package d\n\nfunc Delta() {}\n");
    const { rmSync } = await import("node:fs");
    rmSync(join(repo.root, "c.ts"));
    const next = await indexRepo(repo.root, { env: repo.env });
    expect(next).toMatchObject({ parsed: 1, reused: 2 });
    expect(next.files.map((file) => file.path)).toEqual(["README.md", "a.py", "b.py", "d.go"]);
  });

  it("clearIndexCache forgets a repository's rows, so the next run parses again", async () => {
    repo = tempRepo(files);
    age(repo.root, Object.keys(files));
    await indexRepo(repo.root, { env: repo.env });
    expect(clearIndexCache({ repoRoot: repo.root, env: repo.env })).toBe(3);
    expect((await indexRepo(repo.root, { env: repo.env })).parsed).toBe(3);
    expect(clearIndexCache({ env: repo.env })).toBe(3);
  });

  it("treats a source file with NUL bytes as binary", async () => {
    repo = tempRepo({
      "blob.c": new Uint8Array([105, 110, 116, 0, 0, 1]),
      "ok.c": "int ok(void) { return 1; }\n",
    });
    const result = await indexRepo(repo.root, { env: repo.env });
    expect(result.files.map((file) => file.path)).toEqual(["ok.c"]);
    expect(result.skipped.unparsable).toBe(1);
  });
});
