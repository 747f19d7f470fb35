import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "../kit/index.js";
import { cli, sandboxHome } from "./cli-harness.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const text = "def add(a, b):\n    return a + b\n".repeat(20);

describe("hierocode tokens count", () => {
  it("counts Claude tokens exactly through count_tokens when ANTHROPIC_API_KEY is set, and says so", async () => {
    const anthropic = await startFakeAnthropic(undefined, { apiKey: "sk-test" });
    cleanups.push(() => anthropic.close());
    const { home, env } = sandboxHome();
    const file = join(home, "code.py");
    writeFileSync(file, text);
    const result = await cli(["tokens", "count", "--model", "claude-sonnet-4-6", file, "--json"], {
      ...process.env,
      ...env,
      ANTHROPIC_API_KEY: "sk-test",
      ANTHROPIC_BASE_URL: anthropic.url,
    });
    expect(result.code, result.stderr).toBe(0);
    const counted = JSON.parse(result.stdout) as { tokens: number; estimator: string; exact: boolean };
    expect(counted).toMatchObject({ estimator: "anthropic-count_tokens", exact: true });
    const request = anthropic.lastRequest("/v1/messages/count_tokens");
    expect(request?.headers["x-api-key"]).toBe("sk-test");
    expect(JSON.stringify(request?.body)).toContain("return a + b");
    // No paid call was made.
    expect(anthropic.requestsTo("/v1/messages")).toHaveLength(0);
  });

  it("uses a configured anthropic provider entry and its own key variable", async () => {
    const anthropic = await startFakeAnthropic(undefined, { apiKey: "sk-work" });
    cleanups.push(() => anthropic.close());
    const { home, env } = sandboxHome();
    writeFileSync(
      join(home, ".hierocode.yaml"),
      `providers:\n  work:\n    type: anthropic\n    base_url: ${anthropic.url}\n    auth: { type: bearer_env, env_var: WORK_KEY }\n`,
    );
    const file = join(home, "code.py");
    writeFileSync(file, text);
    const result = await cli(["tokens", "count", "--model", "claude-sonnet-4-6", file, "--json"], {
      ...process.env,
      ...env,
      ANTHROPIC_API_KEY: "",
      WORK_KEY: "sk-work",
    });
    expect(JSON.parse(result.stdout)).toMatchObject({ estimator: "anthropic-count_tokens", exact: true });
  });

  it("estimates Claude tokens without a key, names the estimator, and says how to get an exact count", async () => {
    const { home, env } = sandboxHome();
    const file = join(home, "code.py");
    writeFileSync(file, text);
    const result = await cli(["tokens", "count", "--model", "claude-sonnet-4-6", file], {
      ...process.env,
      ...env,
      ANTHROPIC_API_KEY: "",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+ tokens \(.+, estimate\)/);
    expect(result.stderr).toContain("ANTHROPIC_API_KEY");
  });

  it("uses a real tokenizer for local model families", async () => {
    const { home, env } = sandboxHome();
    const file = join(home, "code.py");
    writeFileSync(file, "hello world");
    const result = await cli(["tokens", "count", "--model", "gpt-5", file, "--json"], {
      ...process.env,
      ...env,
    });
    expect(JSON.parse(result.stdout)).toMatchObject({ tokens: 2, exact: true });
  });
});
