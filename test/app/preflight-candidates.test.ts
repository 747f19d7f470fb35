/**
 * Pre-flight of router candidates (issue 15) against a fake Ollama and the fake `claude` CLI: a
 * candidate whose CLI is not logged in, whose model is not pulled, or whose server does not
 * answer is reported in `dropped` (the run goes on without it); the same faults in a role still
 * throw with the documented exit code.
 */
import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { droppedCandidatesWarning, preflight } from "../../src/app/preflight.js";
import { ExitCode, ProviderError } from "../../src/errors.js";
import type { RoleRuntime } from "../../src/pipeline/model-call.js";
import { createProvider } from "../../src/providers/registry.js";
import { type FakeClis, installFakeClis } from "../kit/fake-cli.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";

let ollama: FakeOllama;
let clis: FakeClis;

beforeEach(async () => {
  ollama = await startFakeOllama();
  clis = installFakeClis({ isolatePath: true, claudeMode: "not_logged_in" });
});

afterEach(async () => {
  await ollama.close();
  clis.cleanup();
});

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function binding(providerName: string, config: Record<string, unknown>, model: string): RoleRuntime {
  const provider = createProvider(providerName, config as never, { env: clis.env });
  return { providerName, provider, model };
}

describe("pre-flight of router candidates", { timeout: 30_000 }, () => {
  it("drops a logged-out CLI, a model not pulled and a server that does not answer, with one warning", async () => {
    const local = binding(
      "local",
      { type: "ollama", base_url: ollama.url, max_retries: 0 },
      "qwen2.5-coder:7b",
    );
    const claude = binding("claude_pro", { type: "claude_code_cli", binary: clis.claudePath }, "sonnet");
    const missing = binding("local", { type: "ollama", base_url: ollama.url, max_retries: 0 }, "missing:1b");
    const down = binding(
      "down",
      { type: "ollama", base_url: await closedPortUrl(), max_retries: 0 },
      "any:1b",
    );
    const report = await preflight({
      roles: { planner: local, drafter: local, reviewer: local },
      candidates: [claude, missing, down],
    });
    expect([...report.dropped.keys()]).toEqual(["claude_pro/sonnet", "local/missing:1b", "down/any:1b"]);
    expect(report.dropped.get("claude_pro/sonnet")).toMatch(/not logged in/);
    expect(report.dropped.get("local/missing:1b")).toBe("model 'missing:1b' is not pulled");
    expect(report.lines.filter((line) => line.startsWith("router candidate"))).toEqual([]);
    expect(droppedCandidatesWarning(report.dropped)).toMatch(
      /^router candidates left out of this run: claude_pro\/sonnet \(.*not logged in.*\); local\/missing:1b \(model 'missing:1b' is not pulled\); down\/any:1b \(.+\); the other candidates/,
    );
    expect(droppedCandidatesWarning(new Map())).toBeUndefined();

    // A usable candidate passes and is listed with the roles.
    const ok = await preflight({
      roles: { planner: local, drafter: local, reviewer: local },
      candidates: [binding("local", { type: "ollama", base_url: ollama.url }, "llama3.2:latest")],
    });
    expect(ok.dropped.size).toBe(0);
    expect(ok.lines.some((line) => line.startsWith("router candidate (local/llama3.2:latest): "))).toBe(true);

    // The same logged-out CLI as a role stops the run (exit 5).
    const error = await preflight({
      roles: { planner: claude, drafter: local, reviewer: local },
      candidates: [],
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).exitCode).toBe(ExitCode.auth);
  });
});
