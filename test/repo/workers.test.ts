/**
 * Worker-thread parsing, run the way the benchmark runs it (a child process with the TypeScript
 * loader, since vitest's transform does not reach worker threads), and the in-process fallback.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { indexRepo } from "../../src/repo/index.js";
import { closeAllDatabases } from "../../src/store/database.js";
import { type TempRepo, tempRepo } from "./helpers.js";

let repo: TempRepo | undefined;
afterEach(() => {
  closeAllDatabases();
  repo?.cleanup();
});

function manyFiles(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let index = 0; index < count; index++) {
    files[`pkg/mod_${index}.py`] =
      `class Thing${index}:\n    def act_${index}(self):\n        return ${index}\n`;
  }
  return files;
}

const root = join(import.meta.dirname, "..", "..");

describe("parsing on worker threads", () => {
  it("workers parse beside the main thread and agree with the in-process result", async () => {
    repo = tempRepo(manyFiles(40));
    const output = execFileSync(
      process.execPath,
      [
        "--import",
        join(root, "bench", "index-loader.ts"),
        join(root, "bench", "index-run.ts"),
        repo.root,
        '{"workers":2}',
      ],
      { encoding: "utf8", env: { ...repo.env } },
    );
    const pooled = JSON.parse(output.trim().split("\n").pop() ?? "{}");
    expect(pooled).toMatchObject({ parsed: 40, reused: 0, files: 40, symbols: 80 });
    // The first worker's first batch holds these 40 small files: at least one worker parsed.
    expect(pooled.workers).toBeGreaterThanOrEqual(1);
    const inProcess = await indexRepo(repo.root, {
      env: { ...repo.env, HIEROCODE_CACHE_DIR: `${repo.env.HIEROCODE_CACHE_DIR}-2` },
      workers: 0,
    });
    expect(inProcess.files.reduce((sum, file) => sum + file.symbols.length, 0)).toBe(80);
  });

  it("falls back to in-process parsing when workers cannot start", async () => {
    // Under vitest the worker file is TypeScript without a loader: the pool reports null.
    repo = tempRepo(manyFiles(5));
    const result = await indexRepo(repo.root, { env: repo.env, workers: 2 });
    expect(result).toMatchObject({ parsed: 5, workers: 0 });
    expect(result.files.every((file) => file.symbols.length === 2)).toBe(true);
  });
});
