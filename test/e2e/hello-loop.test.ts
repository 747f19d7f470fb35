/**
 * The HACO "hello loop" (§14) end to end, through the built CLI: plan → draft → the project's
 * tests fail → the failure report goes back (reviewer, then drafter) → revised draft → tests
 * pass; then the final diff applies to the real working tree and the tests pass there too.
 * Every model is a scripted fake Ollama model; the test command is real (`node --test`).
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOllama, type ScriptRequest, startFakeOllama } from "../kit/index.js";
import { gitEnv, worktreeCount } from "../verify/git-repo.js";
import { builtCli, isolatedEnv, runBuilt } from "../worker/cli-io.js";

const fixture = resolve("test/fixtures/hello-node");
const testCommand = "node --test";

const buggySlug = 'export function slugify(title) {\n  return title.toLowerCase().split(" ").join("-");\n}\n';
const fixedSlug =
  'export function slugify(title) {\n  return title\n    .toLowerCase()\n    .replace(/[^a-z0-9]+/g, " ")\n    .trim()\n    .split(/\\s+/)\n    .join("-");\n}\n';

const plan = {
  summary: "Create src/slug.js with slugify(title) so test/slug.test.js passes.",
  units: [
    {
      id: "u1",
      goal: "Implement slugify(title) in the new file src/slug.js",
      target_files: ["src/slug.js"],
      new_files: ["src/slug.js"],
      context_files: ["test/slug.test.js"],
      acceptance: ["lower-cases", "joins words with single dashes", "drops punctuation"],
      depends_on: [],
      est_input_tokens: 600,
      complexity: 2,
    },
  ],
};

const schemaOf = (request: ScriptRequest) =>
  JSON.stringify((request.body as { format?: unknown }).format ?? {});
const isPlanner = (request: ScriptRequest) => schemaOf(request).includes('"units"');
// The full verdict's schema has "action", the compact checkpoint's (the default) "escalate".
const isReviewer = (request: ScriptRequest) => /"action"|"escalate"/.test(schemaOf(request));
const verdict = (action: string, feedback = "") => ({
  json: { action, feedback, issues: [], confidence: 0.9, sub_units: [] },
});

function sampleRepo(): string {
  const root = mkdtempSync(join(tmpdir(), "hierocode-hello-"));
  cpSync(fixture, root, { recursive: true });
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: root });
  execFileSync("git", ["add", "-A"], { cwd: root });
  execFileSync("git", ["commit", "-q", "-m", "hello"], { cwd: root, env: { ...process.env, ...gitEnv } });
  return root;
}

let fake: FakeOllama | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

describe("hello loop", () => {
  it("plan → draft → tests fail → revise with the failure report → tests pass → the diff applies", async () => {
    expect(existsSync(builtCli), "run `npm run build` first (npm test does)").toBe(true);
    const root = sampleRepo();
    fake = await startFakeOllama({
      rules: [
        { name: "plan", when: isPlanner, reply: { json: plan } },
        {
          name: "review-after-tests",
          when: (request) => isReviewer(request) && request.user.includes("tests fail"),
          reply: verdict("revise", "Collapse runs of spaces and punctuation into one dash; trim the ends."),
        },
        { name: "review", when: isReviewer, reply: verdict("accept") },
        {
          name: "draft-fix",
          model: "qwen2.5-coder:7b",
          user: "Failing tests",
          reply: { text: `src/slug.js\n\`\`\`js\n${fixedSlug}\`\`\`\n` },
        },
        {
          name: "draft",
          model: "qwen2.5-coder:7b",
          reply: { text: `src/slug.js\n\`\`\`js\n${buggySlug}\`\`\`\n` },
        },
      ],
    });
    const env = isolatedEnv();
    const configFile = join(env.HOME ?? "", "hello.yaml");
    writeFileSync(
      configFile,
      [
        "providers:",
        "  local:",
        "    type: ollama",
        `    base_url: ${fake.url}`,
        "routing:",
        "  planner: { provider: local, model: llama3.2 }",
        "  drafter: { provider: local, model: qwen2.5-coder:7b }",
        "  reviewer: { provider: local, model: llama3.2 }",
        "policy:",
        "  warn_before_escalation: false",
        "",
      ].join("\n"),
    );

    const run = await runBuilt(
      ["run", "-t", "Add slugify(title) in src/slug.js", "--verify", testCommand, "--json"],
      {
        env: { ...env, HIEROCODE_CONFIG: configFile },
        cwd: root,
      },
    );
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      diff: string;
      verification?: { verifiedUnits: string[]; rounds: number };
    };

    // the drafter's second request carried the real failing-test output
    const drafts = fake
      .requestsTo("/api/chat")
      .filter((request) => request.body.model === "qwen2.5-coder:7b" && request.body.messages.length > 0);
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    const second = JSON.stringify(drafts[1]?.body.messages);
    expect(second).toContain("slugify drops punctuation and collapses spaces");
    expect(second).toContain("--hello,---world!-");
    expect(result.verification?.verifiedUnits).toEqual(["u1"]);
    expect(result.verification?.rounds).toBe(1);

    // the user's working tree was not touched, and no verification worktree is left behind
    expect(existsSync(join(root, "src/slug.js"))).toBe(false);
    expect(worktreeCount(root)).toBe(1);

    // the final diff applies to the real working tree and the tests pass there
    writeFileSync(join(root, "hello.patch"), result.diff.endsWith("\n") ? result.diff : `${result.diff}\n`);
    execFileSync("git", ["apply", "hello.patch"], { cwd: root });
    expect(readFileSync(join(root, "src/slug.js"), "utf8")).toBe(fixedSlug);
    execFileSync("node", ["--test"], { cwd: root, stdio: "pipe" });
  }, 60_000);
});

describe("run --verify interrupted", () => {
  it("Ctrl-C during verification ends the run with exit 130 and leaves no sandbox behind", async () => {
    expect(existsSync(builtCli), "run `npm run build` first (npm test does)").toBe(true);
    const root = sampleRepo();
    fake = await startFakeOllama({ rules: [{ when: isPlanner, reply: "hang" }] });
    const env = isolatedEnv();
    const configFile = join(env.HOME ?? "", "hello.yaml");
    writeFileSync(
      configFile,
      `providers:\n  local:\n    type: ollama\n    base_url: ${fake.url}\nrouting:\n  planner: { provider: local, model: llama3.2 }\n  drafter: { provider: local, model: qwen2.5-coder:7b }\n`,
    );
    const marker = join(env.HOME ?? "", "verifying");
    const child = spawn(
      process.execPath,
      [builtCli, "run", "-t", "Add slugify", "--verify", `echo "$PWD" > ${marker}; sleep 30`],
      { cwd: root, env: { ...env, HIEROCODE_CONFIG: configFile }, stdio: "ignore" },
    );
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const deadline = Date.now() + 15_000;
    while (!existsSync(marker) || !readFileSync(marker, "utf8").trim()) {
      if (Date.now() > deadline) throw new Error("verification never started");
      await new Promise((done) => setTimeout(done, 25));
    }
    const sandbox = readFileSync(marker, "utf8").trim();
    // The sandbox is a temporary clone, not a worktree of the user's repository.
    expect(sandbox.startsWith(root)).toBe(false);
    expect(worktreeCount(root)).toBe(1);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(worktreeCount(root)).toBe(1);
    expect(existsSync(sandbox)).toBe(false);
  }, 30_000);
});
