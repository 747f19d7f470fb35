/** The built-in suite is sound: every before-file fails its hidden check and the reference solution passes. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { builtinTasks } from "../../src/eval/builtin.js";
import { runTest } from "../../src/eval/run.js";
import { parseSuite } from "../../src/eval/suite.js";

async function check(files: Record<string, string>, command: string): Promise<number | null> {
  const folder = mkdtempSync(join(tmpdir(), "haco-evalsuite-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(folder, path)), { recursive: true });
      writeFileSync(join(folder, path), content);
    }
    return (await runTest(command, folder, process.env, 20_000)).code;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe("built-in eval suite", { timeout: 120_000 }, () => {
  it("has at least 30 tasks in Python and TypeScript with unique ids", () => {
    expect(builtinTasks.length).toBeGreaterThanOrEqual(30);
    expect(new Set(builtinTasks.map((task) => task.id)).size).toBe(builtinTasks.length);
    expect(builtinTasks.filter((task) => task.language === "python").length).toBeGreaterThanOrEqual(15);
    expect(builtinTasks.filter((task) => task.language === "typescript").length).toBeGreaterThanOrEqual(15);
    // The same shape a user suite has.
    const jsonl = builtinTasks.map(({ solution: _solution, ...task }) => JSON.stringify(task)).join("\n");
    expect(parseSuite(jsonl)).toHaveLength(builtinTasks.length);
  });

  it("every before-file fails its hidden check and the reference solution passes", async () => {
    const failures: string[] = [];
    const queue = [...builtinTasks];
    const worker = async () => {
      for (let task = queue.shift(); task; task = queue.shift()) {
        const target = task.target as string;
        const before = await check({ ...task.files, ...task.hidden_files }, task.test);
        const after = await check(
          { ...task.files, [target]: task.solution, ...task.hidden_files },
          task.test,
        );
        if (before === 0) failures.push(`${task.id}: the before-file passes`);
        if (after !== 0) failures.push(`${task.id}: the solution fails (exit ${after})`);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures).toEqual([]);
  });
});

describe("user suites", () => {
  it("refuses a bad line with its number", () => {
    expect(() =>
      parseSuite('{"id":"a","language":"py","instruction":"x","files":{"a.py":""},"test":"true"}\n{oops'),
    ).toThrow(/suite:2: not JSON/);
    expect(() =>
      parseSuite('{"id":"a","language":"py","instruction":"x","files":{"../a.py":""},"test":"true"}'),
    ).toThrow(/outside the task folder/);
    expect(() => parseSuite('{"id":"a","language":"py","files":{},"test":"true"}')).toThrow(/instruction/);
  });
});
