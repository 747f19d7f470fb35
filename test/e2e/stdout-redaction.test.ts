/**
 * stdout is redacted like the logs (src/cli/output.ts, PrintOptions): a fake model's reply that
 * carries an AWS-style key never reaches stdout of `draft`, `draft --json`, `review`,
 * `run --json` — while `run --apply` writes the file's exact bytes, key included, to disk.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { unit, wholeFile } from "../pipeline/support/harness.js";

// AWS's documented shapes (an access key id AKIA + 16, a 40-character secret), not real keys.
const keyId = "AKIAZ7QW3RTY5UIP2LKJ";
const secretKey = "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";
const settings = `AWS_ACCESS_KEY_ID = "${keyId}"\nAWS_SECRET_ACCESS_KEY = "${secretKey}"\nREGION = "eu-west-1"\n`;
const newSettings = settings.replace("eu-west-1", "eu-central-1");

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI();
  sandbox = makeSandbox(
    roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }),
    { "config/settings.py": settings },
  );
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
  // makeSandbox's base folder holds repo, home, state and cache
  rmSync(join(sandbox.repo, ".."), { recursive: true, force: true });
});

function expectNoKey(stdout: string, stderr: string) {
  expect(stdout).not.toContain(keyId);
  expect(stdout).not.toContain(secretKey);
  expect(stdout).toContain("[REDACTED]");
  expect(stderr).toMatch(/warning: secrets in this output are shown as \[REDACTED\]/);
}

describe("stdout is redacted like the logs", { timeout: 90_000 }, () => {
  it("draft, draft --json and review print no key from the model's reply", async () => {
    const reply = `I kept ${keyId} as it was.\n${wholeFile("config/settings.py", newSettings)}`;
    ollama.script.setDefault({ text: reply });
    openai.script.setDefault({
      json: {
        action: "accept",
        feedback: `Region changed; the key ${keyId} (AWS_SECRET_ACCESS_KEY = "${secretKey}") should move to the environment.`,
        issues: [`hard-coded key ${keyId}`],
        confidence: 0.9,
        sub_units: [],
      },
    });
    const draft = await runCliProcess(sandbox, [
      "draft",
      "-t",
      "use eu-central-1",
      "-f",
      "config/settings.py",
    ]);
    expect(draft.code, draft.stderr).toBe(0);
    expect(draft.stdout).toContain('+REGION = "eu-central-1"');
    expectNoKey(draft.stdout, draft.stderr);

    const json = await runCliProcess(sandbox, [
      "draft",
      "-t",
      "use eu-central-1",
      "-f",
      "config/settings.py",
      "--json",
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, file: "config/settings.py" });
    expectNoKey(json.stdout, json.stderr);

    const review = await runCliProcess(sandbox, [
      "review",
      "-t",
      "use eu-central-1",
      "-f",
      "config/settings.py",
    ]);
    expect(review.code, review.stderr).toBe(0);
    expect(review.stdout).toContain("should move to the environment");
    expectNoKey(review.stdout, review.stderr);
    // nothing was written by draft or review
    expect(readFileSync(join(sandbox.repo, "config/settings.py"), "utf8")).toBe(settings);
  });

  it("run --apply --json: the key is not on stdout, and the file on disk keeps its exact bytes", async () => {
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: `move region (keep ${keyId})`, units: [unit("u1", ["config/settings.py"])] } },
    );
    ollama.script.setDefault({ text: wholeFile("config/settings.py", newSettings) });
    openai.script.setDefault({
      json: {
        action: "accept",
        feedback: `fine; ${keyId} unchanged`,
        issues: [],
        confidence: 0.95,
        sub_units: [],
      },
    });
    const run = await runCliProcess(sandbox, ["run", "-t", "use eu-central-1", "--apply", "--yes", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { ok: boolean; diff: string };
    expect(result.ok).toBe(true);
    expect(result.diff).toContain('+REGION = "eu-central-1"');
    expectNoKey(run.stdout, run.stderr);
    expect(readFileSync(join(sandbox.repo, "config/settings.py"), "utf8")).toBe(newSettings);
  });
});
