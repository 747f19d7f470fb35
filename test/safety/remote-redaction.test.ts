/**
 * A remote model sees at least as little as a log line: a token the log redactor hides
 * (`[REDACTED]`) but gitleaks' rules let pass — a GitHub token whose body holds the alphabet,
 * which gitleaks' global stopword allowlist drops — never reaches a remote planner or reviewer in
 * clear, on `run`, `plan`, `draft` and `review`. A placeholder a remote model writes is restored
 * exactly or the edit is refused, and `review --file .env` with a remote reviewer refuses before
 * paying for a call on withheld content. Everything is checked on what the fake servers received.
 */

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRedactor, SecretVault } from "../../src/checks/redact.js";
import { scanSecrets } from "../../src/checks/secret-scan.js";
import { defaultEditEngine, unrestoredPlaceholders } from "../../src/pipeline/edit-engine.js";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { logRecords, makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

/** The tester's token: low-entropy enough for gitleaks' allowlist, plainly a token to a log. */
const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const settings = `GITHUB_TOKEN = "${token}"\nDEBUG = False\n`;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Fakes {
  anthropic: FakeAnthropic;
  ollama: FakeOllama;
  openai: FakeOpenAi;
}

async function fakes(): Promise<Fakes> {
  const [anthropic, ollama, openai] = await Promise.all([
    startFakeAnthropic(),
    startFakeOllama(),
    startFakeOpenAI(),
  ]);
  cleanups.push(() => Promise.all([anthropic.close(), ollama.close(), openai.close()]));
  return { anthropic, ollama, openai };
}

/** Planner and reviewer on the remote (Anthropic) fake, drafter on the local Ollama fake. */
function sandboxFor(
  servers: Fakes,
  extraFiles: Record<string, string>,
  options: { policy?: Record<string, unknown>; routing?: Record<string, unknown> } = {},
): Sandbox {
  const config = roleConfig(
    { anthropic: servers.anthropic.url, ollama: servers.ollama.url, openai: servers.openai.baseUrl },
    options.policy ?? {},
  );
  for (const provider of Object.values(config.providers))
    (provider as { max_retries?: number }).max_retries = 1;
  Object.assign(
    config.routing,
    { reviewer: { provider: "api", model: "claude-sonnet-4-6" } },
    options.routing,
  );
  const sandbox = makeSandbox(config, extraFiles);
  cleanups.push(() => rmSync(join(sandbox.repo, ".."), { recursive: true, force: true }));
  return sandbox;
}

const sentTo = (fake: FakeAnthropic) => JSON.stringify(fake.requests.map((request) => request.body));

describe("the vault redacts at least what the log redactor does", () => {
  it("the tester's token passes gitleaks' rules but not the log redactor", () => {
    expect(scanSecrets(settings)).toEqual([]);
    expect(createRedactor({})(settings)).not.toContain(token);
  });

  it("replaces it by a placeholder and restores it byte for byte", () => {
    const vault = new SecretVault();
    const redacted = vault.redact(settings);
    expect(redacted).not.toContain(token);
    expect(redacted).toContain("[REDACTED_SECRET_1]");
    expect(vault.restore(redacted)).toBe(settings);
  });

  it.each([
    `headers = {"Authorization": "Bearer ${"x1Y2z3W4v5U6t7S8"}"}`,
    `password=${"hunter2222"}`,
    "password=Pa$$w0rd(1)x",
    `client = Client(api_key="${"sk-0123456789abcdefghij"}")`,
  ])("every log-redacted value is a placeholder in a remote prompt: %s", (line) => {
    const logged = createRedactor({})(line);
    expect(logged).toContain("[REDACTED]");
    const vault = new SecretVault();
    const prompt = vault.redact(line);
    expect(prompt).toContain("[REDACTED_SECRET_");
    // What the log hid, the prompt hides too: the visible text is the same once the markers align.
    expect(prompt.replace(/\[REDACTED_SECRET_\d+\]/g, "[REDACTED]")).toBe(logged);
    expect(vault.restore(prompt)).toBe(line);
  });

  it("leaves code on the right of `token =` alone", () => {
    const code =
      'token = compute_token(user)\napi_key = self.settings.api_key\npassword = "$DB_PASSWORD"\nsecret = headers["x"]\n';
    expect(new SecretVault().redact(code)).toBe(code);
  });
});

describe("an edit that would write a placeholder is refused", () => {
  const file = "src/settings.py";
  const read = (path: string) => (path === file ? settings : null);

  it("an invented placeholder never reaches the file", () => {
    const reply = searchReplace(file, "DEBUG = False", 'DEBUG = False\nBACKUP_TOKEN = "[REDACTED_SECRET_7]"');
    const attempt = defaultEditEngine.apply(reply, { allowedFiles: [file], read });
    expect(attempt.ok).toBe(false);
    expect(attempt.changes).toEqual([]);
    expect(attempt.report).toContain("[REDACTED_SECRET_7]");
  });

  it("a placeholder already in the file is not counted as added", () => {
    const before = 'X = "[REDACTED_SECRET_1]"\n';
    expect(unrestoredPlaceholders([{ file, before, after: `${before}Y = 1\n` }])).toEqual([]);
    expect(unrestoredPlaceholders([{ file, before, after: `${before}${before}` }])).toEqual([
      { file, placeholder: "[REDACTED_SECRET_1]" },
    ]);
  });
});

describe("remote prompts on real commands", { timeout: 90_000 }, () => {
  it("run: planner, reviewer and escalation never see the token; the file keeps it exactly", async () => {
    const servers = await fakes();
    const sandbox = sandboxFor(servers, { "src/settings.py": settings });
    servers.anthropic.script
      .on(
        { system: "You are the planner" },
        { json: { summary: "s", units: [unit("u1", ["src/settings.py"])] } },
      )
      .on(
        { system: "could not complete this unit" },
        {
          // The escalated draft quotes the placeholder it was shown in SEARCH and REPLACE.
          text: searchReplace(
            "src/settings.py",
            'GITHUB_TOKEN = "[REDACTED_SECRET_1]"',
            'GITHUB_TOKEN = "[REDACTED_SECRET_1]"  # read-only scope',
          ),
        },
      )
      .on(
        { system: "You review one unit" },
        { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } },
      );
    // The local drafter cannot produce an applicable edit, so the unit escalates to the planner.
    servers.ollama.script.setDefault({ text: searchReplace("src/settings.py", "NOT IN FILE", "x") });
    const run = await runCliProcess(sandbox, ["run", "-t", "x", "--apply", "--yes"]);
    expect(run.code, run.stderr).toBe(0);
    const sent = sentTo(servers.anthropic);
    expect(sent).toContain("You are the planner");
    expect(sent).toContain("could not complete this unit");
    expect(sent).toContain("You review one unit");
    expect(sent).not.toContain(token);
    expect(sent).not.toContain("abcdefghijklmnopqrstuvwxyz0123456789");
    expect(sent).toContain("[REDACTED_SECRET_1]");
    // The local drafter may read the user's own file (README: local models see your files).
    expect(JSON.stringify(servers.ollama.requests.map((request) => request.body))).toContain(token);
    expect(JSON.stringify(logRecords(sandbox))).not.toContain(token);
    expect(readFileSync(join(sandbox.repo, "src/settings.py"), "utf8")).toBe(
      settings.replace(`"${token}"`, `"${token}"  # read-only scope`),
    );
  });

  it("plan: an auth-looking environment value in a repository file is not sent", async () => {
    const servers = await fakes();
    const value = "plain-service-value-42";
    const sandbox = sandboxFor(servers, { "src/client.py": `SERVICE = "${value}"\n` });
    sandbox.env.MY_SERVICE_TOKEN = value;
    servers.anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "s", units: [unit("u1", ["src/client.py"])] } },
    );
    const plan = await runCliProcess(sandbox, ["plan", "-t", "tidy the client"]);
    expect(plan.code, plan.stderr).toBe(0);
    const sent = sentTo(servers.anthropic);
    expect(sent).toContain("You are the planner");
    expect(sent).toContain("src/client.py");
    expect(sent).not.toContain(value);
  });

  it("review --file with a remote reviewer: the token is a placeholder", async () => {
    const servers = await fakes();
    const sandbox = sandboxFor(servers, { "src/settings.py": settings });
    servers.anthropic.script.setDefault({
      json: { action: "accept", feedback: "", issues: [], confidence: 0.9, sub_units: [] },
    });
    const review = await runCliProcess(sandbox, ["review", "-t", "check it", "--file", "src/settings.py"]);
    expect(review.code, review.stderr).toBe(0);
    expect(servers.anthropic.requests.length).toBeGreaterThan(0);
    const sent = sentTo(servers.anthropic);
    expect(sent).toContain("[REDACTED_SECRET_1]");
    expect(sent).not.toContain(token);
  });
});

describe("review --file .env with a remote reviewer", { timeout: 60_000 }, () => {
  const dotenv = "STRIPE_SECRET=sk_live_0123456789abcdefABCDEF\nDB_HOST=db.internal\n";

  it("refuses before any call, naming policy.send_secret_files", async () => {
    const servers = await fakes();
    const sandbox = sandboxFor(servers, { ".env": dotenv });
    const plain = await runCliProcess(sandbox, ["review", "-t", "check it", "--file", ".env"]);
    expect(plain.code, plain.stderr).toBe(2);
    expect(plain.stderr).toMatch(/^error: .*\.env is a secrets file.*remote/m);
    expect(plain.stderr).toMatch(/^hint: .*policy\.send_secret_files: true/m);
    const json = await runCliProcess(sandbox, ["review", "-t", "check it", "--file", ".env", "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: "usage" } });
    expect(servers.anthropic.requests.filter((request) => request.path.includes("/messages"))).toEqual([]);
  });

  it("with policy.send_secret_files: true the reviewer is asked and sees the file", async () => {
    const servers = await fakes();
    const sandbox = sandboxFor(servers, { ".env": dotenv }, { policy: { send_secret_files: true } });
    servers.anthropic.script.setDefault({
      json: { action: "accept", feedback: "", issues: [], confidence: 0.9, sub_units: [] },
    });
    const review = await runCliProcess(sandbox, ["review", "-t", "check it", "--file", ".env"]);
    expect(review.code, review.stderr).toBe(0);
    const sent = sentTo(servers.anthropic);
    expect(sent).toContain("DB_HOST=db.internal");
    expect(sent).not.toContain("content withheld");
  });

  it("a local reviewer may read it", async () => {
    const servers = await fakes();
    const sandbox = sandboxFor(
      servers,
      { ".env": dotenv },
      {
        routing: { reviewer: { provider: "local", model: "qwen2.5-coder:7b" } },
      },
    );
    servers.ollama.script.setDefault({
      json: { action: "accept", feedback: "", issues: [], confidence: 0.9, sub_units: [] },
    });
    const review = await runCliProcess(sandbox, ["review", "-t", "check it", "--file", ".env"]);
    expect(review.code, review.stderr).toBe(0);
    expect(JSON.stringify(servers.ollama.requests.map((request) => request.body))).toContain(
      "DB_HOST=db.internal",
    );
    expect(servers.anthropic.requests.filter((request) => request.path.includes("/messages"))).toEqual([]);
  });
});

describe("hierocode worker on a remote provider", { timeout: 60_000 }, () => {
  it("sends placeholders and prints the artifact with the real value back", async () => {
    const servers = await fakes();
    const sandbox = sandboxFor(servers, {});
    servers.anthropic.script.setDefault({ text: 'CLIENT_TOKEN = "[REDACTED_SECRET_1]"\n' });
    const worker = await runCliProcess(sandbox, [
      "worker",
      "--provider",
      "api",
      "--model",
      "claude-sonnet-4-6",
      `Rename the variable in: ${settings}`,
    ]);
    expect(worker.code, worker.stderr).toBe(0);
    const sent = sentTo(servers.anthropic);
    expect(sent).toContain("Rename the variable");
    expect(sent).not.toContain(token);
    expect(sent).toContain("[REDACTED_SECRET_1]");
    expect(worker.stdout).toContain(`CLIENT_TOKEN = "${token}"`);
  });
});

describe("tokens count through Anthropic's count_tokens", { timeout: 60_000 }, () => {
  it("sends the text as a remote prompt carries it", async () => {
    const servers = await fakes();
    const sandbox = sandboxFor(servers, { "src/settings.py": settings });
    sandbox.env.ANTHROPIC_BASE_URL = servers.anthropic.url;
    sandbox.env.ANTHROPIC_API_KEY = "sk-ant-test-e2e-0123456789abcdef";
    const count = await runCliProcess(sandbox, [
      "tokens",
      "count",
      "--model",
      "claude-sonnet-4-6",
      "src/settings.py",
      "--json",
    ]);
    expect(count.code, count.stderr).toBe(0);
    expect(JSON.parse(count.stdout)).toMatchObject({ estimator: "anthropic-count_tokens", exact: true });
    const sent = sentTo(servers.anthropic);
    expect(sent).toContain("DEBUG = False");
    expect(sent).not.toContain(token);
  });
});
