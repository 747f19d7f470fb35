/**
 * Issue 11, item 8: secrets never leave unasked. The ported gitleaks/secretlint rules find the
 * credentials the old hand-written list missed; remote prompts carry placeholders that the apply
 * step restores locally; `.env` files are withheld; error text is redacted like logs.
 */

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SecretVault, withholdSecretFileBlocks } from "../../src/checks/redact.js";
import { checkSecrets } from "../../src/checks/secret-check.js";
import { isSecretFileName, scanSecrets } from "../../src/checks/secret-scan.js";
import { fileBlock } from "../../src/pipeline/prompts.js";
import { cli, sandboxHome } from "../app/cli-harness.js";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

const cleanups: Array<() => unknown> = [];

/** One retry per call: under heavy load a fake may drop a kept-alive connection. */
function tolerant<T extends { providers: Record<string, { max_retries?: number }> }>(config: T): T {
  for (const provider of Object.values(config.providers)) provider.max_retries = 1;
  return config;
}
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** Random characters from `chars`: realistic keys (gitleaks' allowlists drop "abcdef…" samples). */
function random(length: number, chars = alphabet): string {
  const bytes = randomBytes(length);
  return [...bytes].map((byte) => chars[byte % chars.length]).join("");
}
const lower = "abcdefghijklmnopqrstuvwxyz";
const base64url = `${alphabet}-_`;

function privateKey(): string {
  const body = Array.from({ length: 4 }, () => random(64, `${alphabet}+/`)).join("\n");
  return `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
}

/** The credentials the issue lists as missed by the old check, in realistic shapes. */
const missedBefore: Array<[string, string, string]> = [
  ["Stripe live key", `stripe.api_key = "sk_live_${random(24)}"`, "sk_live_"],
  [
    "JWT",
    `const session = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${random(40, base64url)}.${random(43, base64url)}";`,
    "eyJhbGci",
  ],
  ["password in a database URL", `DATABASE_URL = "postgres://app:${random(12)}@db.internal:5432/app"`, "@db"],
  ["GitLab token", `gitlab_token: glpat-${random(20)}`, "glpat-"],
  ["Hugging Face token", `HF = "hf_${random(34, `${lower}${lower.toUpperCase()}`)}"`, "hf_"],
  ["npm token", `//registry.npmjs.org/:_authToken=npm_${random(36)}`, "npm_"],
  ["SendGrid key", `SENDGRID = "SG.${random(22, base64url)}.${random(43, base64url)}"`, "SG."],
  ["short password", `password = "hunter22"`, "hunter22"],
];

describe("secret scanning with the ported rule set", () => {
  it.each(missedBefore)("finds a %s", (_name, line) => {
    const findings = scanSecrets(line);
    expect(findings.length, line).toBeGreaterThan(0);
    const changes = [{ file: "src/settings.py", before: "", after: `${line}\n` }];
    expect(checkSecrets(changes).length, line).toBeGreaterThan(0);
  });

  it("a known credential format in a draft is an error, not a warning", () => {
    const findings = checkSecrets([
      { file: "src/pay.py", before: "x = 1\n", after: `x = 1\nstripe = "sk_live_${random(24)}"\n` },
    ]);
    expect(findings).toEqual([expect.objectContaining({ check: "secret", severity: "error", line: 2 })]);
    expect(findings[0]?.message).toContain("stripe-access-token");
    expect(findings[0]?.message).not.toContain("sk_live_");
  });

  it("an edit to a line that already carries the key adds no credential; a new key on it does", () => {
    const key = `sk_live_${random(24)}`;
    const before = `stripe = "${key}"\n`;
    expect(checkSecrets([{ file: "src/pay.py", before, after: `stripe = "${key}"  # live\n` }])).toEqual([]);
    const other = `sk_live_${random(24)}`;
    expect(checkSecrets([{ file: "src/pay.py", before, after: `stripe = "${other}"\n` }])).toEqual([
      expect.objectContaining({ severity: "error", line: 1 }),
    ]);
  });

  it("finds a private key added across lines", () => {
    const key = privateKey();
    const findings = checkSecrets([{ file: "deploy/key.txt", before: null, after: `${key}\n` }]);
    expect(findings[0]).toMatchObject({ severity: "error", line: 1 });
  });

  it.each([
    "const key = process.env.API_KEY;",
    'password = os.environ["PASSWORD"]',
    "token = compute_token(0)",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style placeholder, not a template
    'password = "${DB_PASSWORD}"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style placeholder, not a template
    'url = "postgres://user:${PGPASSWORD}@localhost/db"',
  ])("leaves ordinary code alone: %s", (line) => {
    expect(scanSecrets(line)).toEqual([]);
  });

  it("names secret files and leaves templates alone", () => {
    for (const name of [
      ".env",
      ".env.local",
      "config/.env.production",
      "id_rsa",
      "certs/server.pem",
      "keys/app.p12",
    ])
      expect(isSecretFileName(name), name).toBe(true);
    for (const name of [".env.example", "id_rsa.pub", "src/env.ts", "README.md"])
      expect(isSecretFileName(name), name).toBe(false);
  });
});

describe("the vault: placeholders out, real values back", () => {
  it("replaces each secret by a stable placeholder and restores it in the reply", () => {
    const key = `sk_live_${random(24)}`;
    const vault = new SecretVault();
    const first = vault.redact(`stripe = "${key}"\n`);
    const second = vault.redact(`again: stripe = "${key}"`);
    expect(first).toBe('stripe = "[REDACTED_SECRET_1]"\n');
    expect(second).toBe('again: stripe = "[REDACTED_SECRET_1]"');
    expect(vault.restore('stripe = "[REDACTED_SECRET_1]" # live')).toBe(`stripe = "${key}" # live`);
    expect(vault.restore("[REDACTED_SECRET_9]")).toBe("[REDACTED_SECRET_9]");
  });

  it("redacts the values of auth-looking environment variables, whatever their shape", () => {
    const vault = new SecretVault({ env: { MY_SERVICE_TOKEN: "plainvalue-1234", HOME: "/home/me" } });
    expect(vault.redact("curl -H 'x: plainvalue-1234' /home/me")).toBe(
      "curl -H 'x: [REDACTED_SECRET_1]' /home/me",
    );
  });

  it("withholds .env file blocks from remote prompts", () => {
    const text = [
      "Context:",
      fileBlock(".env", "STRIPE=sk_live_x\nDB=1\n"),
      fileBlock("src/a.ts", "x\n"),
    ].join("\n");
    const result = withholdSecretFileBlocks(text);
    expect(result.files).toEqual([".env"]);
    expect(result.text).not.toContain("DB=1");
    expect(result.text).toContain("src/a.ts\n```\nx\n```");
  });
});

describe("escalation to a remote planner", { timeout: 60_000 }, () => {
  let anthropic: FakeAnthropic;
  let ollama: FakeOllama;
  let openai: FakeOpenAi;

  it("sends placeholders, never the key, and the applied file keeps the real key", async () => {
    anthropic = await startFakeAnthropic();
    ollama = await startFakeOllama();
    openai = await startFakeOpenAI();
    cleanups.push(() => Promise.all([anthropic.close(), ollama.close(), openai.close()]));
    const key = `sk_live_${random(24)}`;
    const pay = `export const stripeKey = "${key}";\nexport function charge(amount: number): number {\n  return amount;\n}\n`;
    const config = tolerant(
      roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }),
    );
    const sandbox = makeSandbox(config, {
      "src/app/pay.ts": pay,
      ".env": `STRIPE_SECRET=${key}\nDB_HOST=db.internal\n`,
    });
    cleanups.push(() => rmSync(join(sandbox.repo, ".."), { recursive: true, force: true }));
    anthropic.script
      .on(
        { system: "You are the planner" },
        {
          json: {
            summary: "s",
            units: [{ ...unit("u1", ["src/app/pay.ts"]), context_files: [".env"] }],
          },
        },
      )
      .on(
        { system: "could not complete this unit" },
        {
          text: searchReplace(
            "src/app/pay.ts",
            'export const stripeKey = "[REDACTED_SECRET_1]";',
            'export const stripeKey = "[REDACTED_SECRET_1]"; // live key',
          ),
        },
      );
    // The drafter adds a private key (the checks reject it) until the unit is escalated.
    const leaked = privateKey();
    ollama.script.setDefault({
      text: searchReplace(
        "src/app/pay.ts",
        "  return amount;",
        `  return amount; // ${leaked.split("\n").join(" ")}`,
      ),
    });
    openai.script.setDefault({
      json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] },
    });
    const run = await runCliProcess(sandbox, ["run", "-t", "mark the live key", "--apply", "--yes"]);
    expect(run.code, run.stderr).toBe(0);
    const sentToPlanner = JSON.stringify(anthropic.requests.map((request) => request.body));
    expect(sentToPlanner).toContain("could not complete this unit");
    expect(sentToPlanner).not.toContain(key);
    expect(sentToPlanner).not.toContain(leaked.split("\n")[1]);
    expect(sentToPlanner).not.toContain("DB_HOST=db.internal");
    expect(sentToPlanner).toContain("[REDACTED_SECRET_1]");
    expect(run.stderr).toMatch(/u1: replaced \d+ secrets? \(.*private-key.*\) with placeholders/);
    expect(run.stderr).toContain("withheld .env");
    expect(readFileSync(join(sandbox.repo, "src/app/pay.ts"), "utf8")).toBe(
      pay.replace(`"${key}";`, `"${key}"; // live key`),
    );
  });
});

describe("error text is redacted like the logs", () => {
  it("a key a server echoes in its error is not printed raw on stderr nor in --json", async () => {
    const token = `tok-${random(28)}`;
    const server = createServer((_request, response) => {
      response.writeHead(401, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${token}` } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const { home, env } = sandboxHome();
    writeFileSync(
      join(home, ".hierocode.yaml"),
      stringify({
        providers: {
          gw: {
            type: "openai_compatible",
            base_url: `http://127.0.0.1:${port}/v1`,
            auth: { type: "bearer_env", env_var: "GATEWAY_TOKEN" },
            max_retries: 0,
          },
        },
        routing: { drafter: { provider: "gw", model: "m" }, planner: { provider: "gw", model: "m" } },
      }),
    );
    const withKey = { ...env, GATEWAY_TOKEN: token };
    const repo = join(home, "repo");
    execFileSync("git", ["init", "-q", repo]);
    writeFileSync(join(repo, "a.py"), "x = 1\n");
    const plain = await cli(["draft", "-t", "change x", "-f", "a.py"], withKey, repo);
    const json = await cli(["draft", "-t", "change x", "-f", "a.py", "--json"], withKey, repo);
    const everything = `${plain.stdout}${plain.stderr}${json.stdout}${json.stderr}`;
    expect(plain.code).toBe(5); // auth
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: "provider_auth" } });
    expect(everything).toContain("Incorrect API key provided");
    expect(everything).not.toContain(token);
    expect(everything).toContain("[REDACTED]");
  });
});
