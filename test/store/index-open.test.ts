/** A repository index that cannot be opened is an error the user sees, not a silent bare file list. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoAccessFor } from "../../src/app/run.js";
import { charsPerTokenCounter } from "../../src/pipeline/repo-fallback.js";
import { closeAllDatabases } from "../../src/store/database.js";

const folders: string[] = [];
afterEach(() => {
  closeAllDatabases();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe("index database failures", () => {
  it("buildSkeleton rejects with a database error when the index cannot be opened", async () => {
    const root = mkdtempSync(join(tmpdir(), "hc-index-open-"));
    folders.push(root);
    const repo = join(root, "repo");
    const cache = join(root, "cache-is-a-file");
    writeFileSync(cache, "not a folder");
    mkdirSync(repo);
    writeFileSync(join(repo, "a.py"), "def f():\n    return 1\n");
    const access = repoAccessFor(repo, { HIEROCODE_CACHE_DIR: cache, HIEROCODE_STATE_DIR: join(root, "s") });
    await expect(
      access.buildSkeleton({ tokens: 1000, task: "t", counter: charsPerTokenCounter }),
    ).rejects.toMatchObject({ code: "database_unavailable" });
  });
});
