import { statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clearIndexCache, indexRepo } from "../../src/repo/index.js";
import { IndexStore } from "../../src/repo/index-store.js";
import { repoKey } from "../../src/repo/indexer.js";
import { writeSymbolsJson } from "../../src/repo/symbols-json.js";
import { writeRepoSymbolsJson } from "../../src/repo/symbols-snapshot.js";
import { closeAllDatabases, openIndexDatabase } from "../../src/store/database.js";
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

/**
 * `utimes` itself moves the ctime to now, and a row is trusted without a hash only when both
 * timestamps are older than the racy window at the time it was indexed: index "later".
 */
const later = () => Date.now() + 5000;

describe("incremental index", () => {
  it("parses everything cold, nothing warm, and exactly the touched file after an edit", async () => {
    repo = tempRepo(files);
    age(repo.root, Object.keys(files));
    const cold = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(cold).toMatchObject({ parsed: 3, reused: 0 });
    expect(cold.files.map((file) => file.path)).toEqual(["README.md", "a.py", "b.py", "c.ts"]);
    expect(cold.files.find((file) => file.path === "a.py")?.references).toContain("beta");

    const warm = await indexRepo(repo.root, { env: repo.env, now: later });
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

  it("lists a source file with NUL bytes by path, as undecodable, and caches that", async () => {
    repo = tempRepo({
      "blob.c": new Uint8Array([105, 110, 116, 0, 0, 1, 2, 3, 0, 7]),
      "ok.c": "int ok(void) { return 1; }\n",
    });
    age(repo.root, ["blob.c", "ok.c"]);
    const result = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(result.files.map((file) => [file.path, file.junk, file.symbols.length])).toEqual([
      ["blob.c", "undecodable", 0],
      ["ok.c", null, 1],
    ]);
    expect(result.unparsed).toEqual(["blob.c"]);
    expect(result.skipped.unparsable).toBe(1);
    // Warm: neither file is read again, the failure included.
    const warm = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(warm).toMatchObject({ parsed: 0, reused: 2, unparsed: ["blob.c"] });
    expect(warm.files).toEqual(result.files);
  });

  it("caches a file the parser throws on, instead of reparsing it every warm run", async () => {
    // A ".ts" file of base64 is recognised as data before the parser sees it; cached as such.
    repo = tempRepo({ "blob.ts": `${"QUJDRA".repeat(200)}\n`, "ok.ts": "export const ok = 1;\n" });
    age(repo.root, ["blob.ts", "ok.ts"]);
    const cold = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(cold.files.find((file) => file.path === "blob.ts")?.junk).toBe("data");
    const warm = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(warm).toMatchObject({ parsed: 0, reused: 2 });
    expect(warm.files.find((file) => file.path === "blob.ts")?.junk).toBe("data");
  });

  it("a file rewritten with the same size and mtime is re-read: ctime and inode are part of its identity", async () => {
    repo = tempRepo(files);
    age(repo.root, Object.keys(files));
    const first = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(first.files.find((file) => file.path === "b.py")?.symbols[0]?.name).toBe("beta");
    const before = statSync(join(repo.root, "b.py"));
    // Same size, mtime set back exactly: only the ctime (moved by the write and by utimes) tells.
    repo.write("b.py", "def BETA():\n    return 2\n");
    utimesSync(join(repo.root, "b.py"), before.atime, before.mtime);
    const after = statSync(join(repo.root, "b.py"));
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    // Indexed "much later", so the racy-window hash check cannot be what catches it.
    const second = await indexRepo(repo.root, { env: repo.env, now: () => Date.now() + 60_000 });
    expect(second).toMatchObject({ parsed: 1, reused: 2, verified: 0 });
    expect(second.files.find((file) => file.path === "b.py")?.symbols[0]?.name).toBe("BETA");
    // The plan-cache key is built from these hashes: it moves with the content.
    expect(second.files.find((file) => file.path === "b.py")?.sha256).not.toBe(
      first.files.find((file) => file.path === "b.py")?.sha256,
    );
  });
});

describe("a file the parser failed on", () => {
  it("is cached as failed, listed by path and not read again while unchanged", async () => {
    repo = tempRepo({ "bad.py": "def bad(:\n", "ok.py": "def ok():\n    pass\n" });
    age(repo.root, ["bad.py", "ok.py"]);
    const cold = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(cold.parsed).toBe(2);
    // No input is known that makes web-tree-sitter throw (it recovers with ERROR nodes), so the
    // row a throwing parse leaves (parse-file.ts: status "failed") is written as that run would.
    const store = new IndexStore(openIndexDatabase(repo.env), repoKey(repo.root));
    const row = store.loadAll().get("bad.py")!;
    store.save([{ ...row, status: "failed", lines: 0, symbolsJson: "", refs: "" }], [], [], later());
    const warm = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(warm).toMatchObject({ parsed: 0, reused: 2, unparsed: ["bad.py"] });
    expect(warm.skipped.unparsable).toBe(1);
    expect(warm.files.find((file) => file.path === "bad.py")).toMatchObject({ junk: null, symbols: [] });
    // Once edited it is parsed again.
    repo.write("bad.py", "def fixed():\n    pass\n");
    const edited = await indexRepo(repo.root, { env: repo.env, now: later });
    expect(edited).toMatchObject({ parsed: 1, unparsed: [] });
  });
});

describe("repo symbols --json snapshot", () => {
  const print = async (root: string, env: Record<string, string | undefined>, now = later) => {
    const chunks: Array<string | Uint8Array> = [];
    const run = await writeRepoSymbolsJson(root, { env, now }, (chunk) => chunks.push(chunk));
    const text = chunks.map((chunk) =>
      typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"),
    );
    return { ...run, text: text.join("") };
  };
  const expected = async (root: string, env: Record<string, string | undefined>) => {
    const { files: indexed } = await indexRepo(root, { env, now: later });
    let text = "";
    writeSymbolsJson(indexed, (chunk) => {
      text += chunk;
    });
    return text;
  };

  it("prints the stored output only while every source file keeps its identity", async () => {
    repo = tempRepo({ ...files, "ünï/çode.py": "def naïve():\n    return 'é'\n" });
    age(repo.root, [...Object.keys(files), "ünï/çode.py"]);
    const first = await print(repo.root, repo.env);
    expect(first.fromSnapshot).toBe(false);
    expect(first.text).toBe(await expected(repo.root, repo.env));
    expect(JSON.parse(first.text).symbols.map((row: { name: string }) => row.name)).toContain("naïve");
    const second = await print(repo.root, repo.env);
    expect(second).toEqual({ fromSnapshot: true, text: first.text });

    // An edit: printed from the index, and the new symbols are there.
    repo.write("b.py", "def beta():\n    return 2\n\ndef delta():\n    pass\n");
    const edited = await print(repo.root, repo.env);
    expect(edited.fromSnapshot).toBe(false);
    expect(edited.text).toBe(await expected(repo.root, repo.env));
    expect(edited.text).toContain('"name": "delta"');
    expect((await print(repo.root, repo.env)).fromSnapshot).toBe(true);

    // A new ignore rule changes the list of files, a deleted file too.
    repo.write(".gitignore", "c.ts\n");
    const ignored = await print(repo.root, repo.env);
    expect(ignored.fromSnapshot).toBe(false);
    expect(ignored.text).not.toContain("gamma");
    const { rmSync } = await import("node:fs");
    rmSync(join(repo.root, "a.py"));
    const deleted = await print(repo.root, repo.env);
    expect(deleted.fromSnapshot).toBe(false);
    expect(deleted.text).not.toContain("alpha");
    expect(deleted.text).toBe(await expected(repo.root, repo.env));
  });

  it("is not trusted for files written within the racy window of it, nor after the cache is cleared", async () => {
    repo = tempRepo(files);
    // Written "now" and printed "now": a same-size rewrite within the timestamp granularity would
    // be invisible, so the snapshot is not used until the files are older than the window.
    const now = () => Date.now();
    expect((await print(repo.root, repo.env, now)).fromSnapshot).toBe(false);
    expect((await print(repo.root, repo.env, now)).fromSnapshot).toBe(false);
    age(repo.root, Object.keys(files));
    expect((await print(repo.root, repo.env)).fromSnapshot).toBe(false);
    expect((await print(repo.root, repo.env)).fromSnapshot).toBe(true);
    clearIndexCache({ repoRoot: repo.root, env: repo.env });
    expect((await print(repo.root, repo.env)).fromSnapshot).toBe(false);
  });
});
