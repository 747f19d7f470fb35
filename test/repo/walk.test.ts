import { afterEach, describe, expect, it } from "vitest";
import { listRepoFiles } from "../../src/repo/index.js";
import { walkRepo } from "../../src/repo/walk.js";
import { type TempRepo, tempRepo } from "./helpers.js";

let repo: TempRepo | undefined;
afterEach(() => repo?.cleanup());

const paths = async (root: string, options = {}) =>
  (await listRepoFiles(root, options)).map((file) => file.path).sort();

describe("ignore-aware walk", () => {
  it("honours root and nested .gitignore, negations, .ignore and .git/info/exclude", async () => {
    repo = tempRepo({
      ".gitignore": "*.log\nbuild/\n!keep.log\n",
      "src/app.ts": "export const a = 1;\n",
      "src/debug.log": "noise",
      "keep.log": "kept by negation",
      "build/out.js": "generated",
      "src/gen/.gitignore": "*.ts\n!public.ts\n",
      "src/gen/private.ts": "x",
      "src/gen/public.ts": "y",
      "docs/.ignore": "draft.md\n",
      "docs/draft.md": "draft",
      "docs/guide.md": "guide",
      "secret.txt": "excluded locally",
      ".git/info/exclude": "secret.txt\n",
    });
    expect(await paths(repo.root)).toEqual([
      ".gitignore",
      "docs/.ignore",
      "docs/guide.md",
      "keep.log",
      "src/app.ts",
      "src/gen/.gitignore",
      "src/gen/public.ts",
    ]);
  });

  it("leaves out hierocode's own .haco folder without being told", async () => {
    repo = tempRepo({
      "src/app.ts": "export const a = 1;\n",
      ".haco/logs/run-1/plan.json": "{}",
      "packages/web/.haco/logs/run-2/events.jsonl": "{}",
    });
    expect(await paths(repo.root)).toEqual(["src/app.ts"]);
    expect(await paths(repo.root, { exclude: [".haco/"] })).toEqual(["src/app.ts"]);
  });

  it("a deeper .gitignore can re-include what a shallower one excluded", async () => {
    repo = tempRepo({
      ".gitignore": "*.md\n",
      "notes/.gitignore": "!README.md\n",
      "notes/README.md": "r",
      "x.md": "x",
    });
    expect(await paths(repo.root)).toEqual([".gitignore", "notes/.gitignore", "notes/README.md"]);
  });

  it("sourceOnly lists exactly the source files of the full walk, with the same verdicts", async () => {
    repo = tempRepo({
      ".gitignore": "gen/\n*.pyc\nskip_*.py\n",
      ".gitattributes": "api/client.ts linguist-generated\n",
      "src/app.ts": "export const a = 1;\n",
      "src/skip_me.py": "x = 1\n",
      "gen/out.ts": "export const b = 2;\n",
      "api/client.ts": "export const c = 3;\n",
      "docs/guide.md": "guide",
      "data.txt": "plain text",
      "logo.png": new Uint8Array([137, 80, 78, 71, 0, 1]),
      "main.py": "def main():\n    pass\n",
      "node_modules/lib/index.js": "module.exports = 1;",
    });
    const full = walkRepo(repo.root);
    const only = walkRepo(repo.root, { sourceOnly: true });
    const view = (files: typeof full.files) => files.map((file) => [file.path, file.language, file.junk]);
    expect(view(only.files)).toEqual(view(full.files.filter((file) => file.language !== null)));
    expect(view(only.files)).toEqual([
      ["api/client.ts", "typescript", "generated"],
      ["main.py", "python", null],
      ["src/app.ts", "typescript", null],
    ]);
  });

  it("skips vendored folders, binaries and oversized files; lists generated files and lockfiles as junk", async () => {
    repo = tempRepo({
      "node_modules/lib/index.js": "module.exports = 1;",
      "vendor/pkg/a.go": "package a",
      "third_party/x.c": "int x;",
      "logo.png": new Uint8Array([137, 80, 78, 71, 0, 1]),
      "blob.dat2": new Uint8Array([1, 2, 0, 4]),
      "app.min.js": "var a=1;",
      "package-lock.json": "{}",
      "big.py": `x = 1\n${"#".repeat(3000)}\n`,
      "main.py": "def main():\n    pass\n",
    });
    const result = walkRepo(repo.root, { maxFileBytes: 2000 });
    expect(result.files.map((file) => [file.path, file.junk])).toEqual([
      ["app.min.js", "minified"],
      ["main.py", null],
      ["package-lock.json", "lockfile"],
    ]);
    expect(result.skipped).toMatchObject({ vendored: 3, binary: 2, generated: 2, oversized: 1 });
    expect(result.files[1]).toMatchObject({ language: "python", size: 21 });
  });

  it("can include vendored folders and extra exclusions when asked (benchmarks)", async () => {
    repo = tempRepo({ "node_modules/lib/index.js": "1", "site-packages/x.py": "1", "a.py": "1" });
    expect(await paths(repo.root, { includeVendored: true, exclude: ["site-packages/"] })).toEqual([
      "a.py",
      "node_modules/lib/index.js",
    ]);
  });
});
