/**
 * `basicRepoAccess().warm()`: the git listing runs in the background (while pre-flight checks
 * run, src/app/run.ts) and `listFiles` then answers from it — the same list the synchronous
 * listing gives, honouring .gitignore and leaving out `.haco/`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicRepoAccess, listRepoFilesBasic } from "../../src/pipeline/repo-fallback.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function gitRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "hc-repo-warm-"));
  folders.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  spawnSync("git", ["init", "-q"], { cwd: root });
  return root;
}

describe("warming the repository listing", () => {
  it("lists in the background what the synchronous listing lists, and listFiles uses it", async () => {
    const root = gitRepo({
      "src/a.ts": "export const a = 1;\n",
      "src/b.py": "b = 2\n",
      ".gitignore": "ignored.txt\n",
      "ignored.txt": "no\n",
      ".haco/logs/run.jsonl": "{}\n",
    });
    const access = basicRepoAccess(root);
    await access.warm?.();
    // Added after the warm listing: listFiles answers from what warm listed.
    writeFileSync(join(root, "src", "late.ts"), "export const late = 1;\n");
    expect(access.listFiles()).toEqual([".gitignore", "src/a.ts", "src/b.py"]);
    expect(listRepoFilesBasic(root)).toEqual([".gitignore", "src/a.ts", "src/b.py", "src/late.ts"]);
  });

  it("outside a git repository listFiles still lists, synchronously", async () => {
    const root = mkdtempSync(join(tmpdir(), "hc-repo-warm-"));
    folders.push(root);
    writeFileSync(join(root, "a.ts"), "export const a = 1;\n");
    const access = basicRepoAccess(root);
    await access.warm?.();
    expect(access.listFiles()).toEqual(["a.ts"]);
  });
});
