import { afterEach, describe, expect, it } from "vitest";
import { buildRepoMap } from "../../src/repo/index.js";
import { indexRepo } from "../../src/repo/indexer.js";
import { rankForTask } from "../../src/repo/repo-map.js";
import { splitIdentifier, stem, taskTerms } from "../../src/repo/task-terms.js";
import { closeAllDatabases } from "../../src/store/database.js";
import { heuristicCounter } from "../../src/tokens/heuristic.js";
import { type TempRepo, tempRepo } from "./helpers.js";

let repo: TempRepo | undefined;
afterEach(() => {
  closeAllDatabases();
  repo?.cleanup();
});

/**
 * The shape that went wrong: the task names a file ("ollama"), the code that does the work is
 * named differently (`withRetries` for "retries"), and two unrelated files have a property
 * called `retries`.
 */
function providerProject(): Record<string, string> {
  const files: Record<string, string> = {
    "src/providers/ollama.ts": [
      'import { withRetries } from "./http.js";',
      "export class OllamaProvider {",
      "  async generate(prompt: string): Promise<string> {",
      "    return withRetries(() => fetch(prompt).then((response) => response.text()));",
      "  }",
      "}",
      "export function normalizeOllamaModel(name: string): string {",
      "  return name.trim();",
      "}",
      "",
    ].join("\n"),
    "src/providers/http.ts": [
      "export async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {",
      "  return attempt();",
      "}",
      "export function parseRetryAfter(value: string): number {",
      "  return Number(value);",
      "}",
      "",
    ].join("\n"),
    "src/cli/commands/worker.ts": [
      "interface WorkerFlags {",
      "  retries: string;",
      "  timeout: string;",
      "}",
      "export function registerWorker(flags: WorkerFlags): void {",
      "  console.log(flags.retries);",
      "}",
      "",
    ].join("\n"),
    "src/app/worker.ts": [
      "export interface WorkerRequest {",
      "  retries: number;",
      "  model: string;",
      "}",
      "export async function runWorker(request: WorkerRequest): Promise<void> {",
      "  for (let attempt = 0; attempt < request.retries; attempt++) {}",
      "}",
      "",
    ].join("\n"),
  };
  // Enough unrelated modules that a budget has to choose.
  for (let index = 0; index < 30; index++) {
    files[`src/feature/module-${index}.ts`] = [
      `import { runWorker } from "../app/worker.js";`,
      `export function featureEntry${index}(value: number): number {`,
      `  return value + ${index};`,
      "}",
      `export class FeatureService${index} {`,
      "  handle(): void {",
      "    runWorker({ retries: 1, model: 'x' });",
      "  }",
      "}",
      "",
    ].join("\n");
  }
  return files;
}

function fileOrder(entries: Array<{ file: string }>): string[] {
  return [...new Set(entries.map((entry) => entry.file))];
}

describe("task terms", () => {
  it("split identifiers at case, underscores, dashes and digits, and stem both sides alike", () => {
    expect(splitIdentifier("withRetries")).toEqual(["with", "retry"]);
    expect(splitIdentifier("FTP_TLS")).toEqual(["ftp", "tls"]);
    expect(splitIdentifier("line-counter")).toEqual([stem("line"), "counter"]);
    expect(splitIdentifier("HTTPServer2")).toEqual(["http", "server", "2"]);
    expect(stem("providers")).toBe(stem("provider"));
    expect(stem("retries")).toBe(stem("retry"));
    expect(stem("logging")).toBe(stem("log"));
    expect(stem("indexes")).toBe(stem("index"));
  });

  it("keep the task's meaningful words and its dotted names", () => {
    const terms = taskTerms("make json.dumps sort keys by default");
    expect([...terms.words]).toEqual(["json", "dump", "sort", "key", "default"]);
    expect(terms.qualified).toEqual([["json", "dump"]]);
    expect(taskTerms("add retries to the ollama provider").words).toEqual(
      new Set(["retry", "ollama", "provider"]),
    );
  });
});

describe("ranking towards a task", () => {
  it("puts the file the task names first, and the function it needs before same-named properties", async () => {
    repo = tempRepo(providerProject());
    const { files } = await indexRepo(repo.root, { env: repo.env });
    const order = fileOrder(rankForTask(files, { task: "add retries to the ollama provider" }).entries);
    expect(order[0]).toBe("src/providers/ollama.ts");
    const http = order.indexOf("src/providers/http.ts");
    expect(http).toBeGreaterThan(0);
    expect(http).toBeLessThan(order.indexOf("src/cli/commands/worker.ts"));
    expect(http).toBeLessThan(order.indexOf("src/app/worker.ts"));
  });

  it("shows the named file's definitions and withRetries in a small map", async () => {
    repo = tempRepo(providerProject());
    const map = await buildRepoMap({
      repoRoot: repo.root,
      tokens: 120,
      counter: heuristicCounter(),
      task: "add retries to the ollama provider",
      index: { env: repo.env },
    });
    const lines = map.text.split("\n");
    expect(lines[0]).toBe("src/providers/ollama.ts:");
    expect(map.text).toContain("export class OllamaProvider");
    expect(map.text).toContain("withRetries");
  });

  it("weighs a mentioned function above a mentioned property of the same name", async () => {
    repo = tempRepo({
      "a/config.ts": "export interface Settings {\n  timeoutMs: number;\n}\n",
      "b/clock.ts": "export function timeoutMs(seconds: number): number {\n  return seconds * 1000;\n}\n",
      "c/other.ts": "export function unrelated(): void {}\n",
    });
    const { files } = await indexRepo(repo.root, { env: repo.env });
    const order = fileOrder(rankForTask(files, { task: "round timeoutMs up" }).entries);
    expect(order.indexOf("b/clock.ts")).toBeLessThan(order.indexOf("a/config.ts"));
  });

  it("never prints a file header without a symbol under it, at any budget", async () => {
    repo = tempRepo(providerProject());
    for (const tokens of [20, 40, 60, 90, 150, 400, 1500]) {
      const map = await buildRepoMap({
        repoRoot: repo.root,
        tokens,
        counter: heuristicCounter(),
        task: "add retries to the ollama provider",
        index: { env: repo.env },
      });
      const lines = map.text.split("\n").filter((line) => line !== "");
      lines.forEach((line, index) => {
        if (line.endsWith(":") && !line.startsWith(" ")) expect(lines[index + 1] ?? "").toMatch(/^ {2}/);
      });
      expect(map.tokens).toBeLessThanOrEqual(tokens);
    }
  });
});
