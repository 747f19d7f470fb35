import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { type TempRepo, tempRepo } from "./helpers.js";

let repo: TempRepo | undefined;
afterEach(() => repo?.cleanup());

function sink(): { stream: Writable; text: () => string } {
  let buffer = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      buffer += chunk.toString();
      done();
    },
  });
  return { stream, text: () => buffer };
}

async function run(argv: string[], cwd: string, env: Record<string, string | undefined>) {
  const stdout = sink();
  const stderr = sink();
  process.exitCode = undefined;
  const code = await runCli({ argv, cwd, env, stdout: stdout.stream, stderr: stderr.stream });
  process.exitCode = undefined;
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const files = {
  "src/geometry/shapes.py": "class Square:\n    def area(self) -> float:\n        return 1.0\n",
  "src/app.ts": "import { x } from './x';\nexport function main(): void {}\n",
  "docs/guide.md": "# guide\n",
};

describe("hierocode repo / tokens commands", () => {
  it("repo symbols --json lists repo-relative paths and 1-based lines, filtered by folder", async () => {
    repo = tempRepo(files);
    const all = await run(["repo", "symbols", "--json"], repo.root, repo.env);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout).ok).toBe(true);
    expect(JSON.parse(all.stdout).symbols).toEqual([
      {
        path: "src/app.ts",
        name: "main",
        kind: "function",
        container: null,
        line: 2,
        end_line: 2,
        signature: "export function main(): void",
      },
      {
        path: "src/geometry/shapes.py",
        name: "Square",
        kind: "class",
        container: null,
        line: 1,
        end_line: 3,
        signature: "class Square",
      },
      {
        path: "src/geometry/shapes.py",
        name: "area",
        kind: "method",
        container: "Square",
        line: 2,
        end_line: 3,
        signature: "def area(self) -> float",
      },
    ]);
    const folder = await run(["repo", "symbols", "geometry", "--json"], `${repo.root}/src`, repo.env);
    expect(JSON.parse(folder.stdout).symbols.map((row: { name: string }) => row.name)).toEqual([
      "Square",
      "area",
    ]);
    // Paths are relative to the current folder, also with --repo; a missing one is an error.
    const text = await run(
      ["repo", "symbols", `${repo.root}/src/app.ts`, "--repo", repo.root],
      "/",
      repo.env,
    );
    expect(text.stdout).toContain("src/app.ts");
    expect(text.stdout).toContain("function  main");
  });

  it("repo symbols refuses paths outside the repository", async () => {
    repo = tempRepo(files);
    const result = await run(["repo", "symbols", "/etc"], repo.root, repo.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("outside the repository");
  });

  it("repo map prints the map, and --json the whole RepoMap", async () => {
    repo = tempRepo(files);
    const text = await run(["repo", "map", "--tokens", "500", "--focus", "src/app.ts"], repo.root, repo.env);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[0]).toBe("src/app.ts:");
    expect(text.stderr).toMatch(/\d+ tokens \(heuristic\), 3 of 3 files shown/);
    const json = await run(["repo", "map", "--json", "--model", "gpt-4o"], repo.root, repo.env);
    const map = JSON.parse(json.stdout);
    expect(map).toMatchObject({ totalFiles: 3, shownFiles: 3, estimator: "o200k_base" });
    expect(map.files.map((file: { path: string }) => file.path)).toEqual([
      "docs/guide.md",
      "src/app.ts",
      "src/geometry/shapes.py",
    ]);
    const bad = await run(["repo", "map", "--tokens", "lots"], repo.root, repo.env);
    expect(bad.code).toBe(2);
  });

  it("tokens count uses the model's tokenizer and names it", async () => {
    repo = tempRepo({ "hello.txt": "hello world" });
    const exact = await run(
      ["tokens", "count", "--model", "gpt-4o", "hello.txt", "--json"],
      repo.root,
      repo.env,
    );
    expect(JSON.parse(exact.stdout)).toEqual({
      ok: true,
      tokens: 2,
      estimator: "o200k_base",
      exact: true,
      characters: 11,
    });
    const estimate = await run(["tokens", "count", "hello.txt"], repo.root, repo.env);
    expect(estimate.stdout.trim()).toBe("2 tokens (heuristic, estimate)");
    const missing = await run(["tokens", "count", "nope.txt"], repo.root, repo.env);
    expect(missing.code).toBe(2);
  });
});
