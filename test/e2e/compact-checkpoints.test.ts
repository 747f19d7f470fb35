/**
 * Compact checkpoints (issue 15) through the built CLI and the fake servers / fake CLIs: the
 * reviewer's compact verdict under a 100-token cap, the planner's 50-token redirect before it
 * drafts a unit itself, a verdict cut off at the cap, and the cap reaching every provider kind.
 * Assertions are on the fakes' recorded wire requests.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { installFakeClis } from "../kit/fake-cli.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { logRecords, makeSandbox, roleConfig, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { unit, wholeFile } from "../pipeline/support/harness.js";

const addMul =
  "export function add(a: number, b: number): number {\n  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;\n";
const plan = { summary: "add mul", units: [unit("u1", ["src/app/math.ts"])] };
const good = { text: wholeFile("src/app/math.ts", addMul) };
const nonsense = { text: wholeFile("src/app/math.ts", "export const nonsense = 1;\n") };
const pass = { json: { pass: true, issues: [], confidence: 0.95, escalate: false } };
const compactSystem = "Respond ONLY with JSON (max 100 tokens)";
const redirectSystem = "You direct a small drafter model";
const direction = "Keep add as it is and append mul below it.";

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  ollama = await startFakeOllama();
  openai = await startFakeOpenAI();
  anthropic.script.on({ system: "You are the planner" }, { json: plan });
});

afterEach(async () => {
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

function setup(policy: Record<string, unknown> = {}) {
  sandbox = makeSandbox(
    roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }, policy),
  );
}

type Body = {
  max_tokens?: number;
  max_completion_tokens?: number;
  system?: unknown;
  messages?: Array<{ role: string; content: unknown }>;
  response_format?: { json_schema?: { schema?: { properties?: Record<string, unknown> } } };
  options?: { num_predict?: number };
};
const bodies = (requests: Array<{ body: unknown }>) => requests.map((request) => request.body as Body);
const plannerBodies = () => bodies(anthropic.requestsTo("/v1/messages"));
const reviewerBodies = () => bodies(openai.requestsTo("/v1/chat/completions"));
const drafterBodies = () => bodies(ollama.requestsTo("/api/chat"));
const textOf = (body: Body | undefined) =>
  JSON.stringify([body?.system ?? "", body?.messages ?? []]).replaceAll("\\n", "\n");

interface RunJson {
  accepted: string[];
  failed: string[];
  escalations: number;
  units: Array<{ id: string; status: string; author: string; reason?: string; redirected?: boolean }>;
  totals: Record<string, { calls: number; usage: { outputTokens: number } }>;
}

async function run(extra: string[] = []): Promise<{ result: RunJson; stderr: string; code: number | null }> {
  const outcome = await runCliProcess(sandbox, ["run", "-t", "add mul", "--json", ...extra]);
  return { result: JSON.parse(outcome.stdout) as RunJson, stderr: outcome.stderr, code: outcome.code };
}

describe("compact checkpoints", { timeout: 60_000 }, () => {
  it("asks for the compact verdict with its schema and max_tokens 100, and accepts {pass: true}", async () => {
    setup();
    ollama.script.on({ user: "Unit u1:" }, good);
    openai.script.on({ system: compactSystem }, pass);
    const { result, code, stderr } = await run();
    expect(code, stderr).toBe(0);
    expect(result.accepted).toEqual(["u1"]);
    const [review] = reviewerBodies();
    expect(review?.max_completion_tokens ?? review?.max_tokens).toBe(100);
    expect(Object.keys(review?.response_format?.json_schema?.schema?.properties ?? {}).sort()).toEqual([
      "confidence",
      "escalate",
      "issues",
      "pass",
    ]);
    // Input-heavy: the reviewer reads the diff and the whole changed file.
    expect(textOf(review)).toContain("export const mul");
  });

  it("still reads a full verdict, and `review_checkpoint: full` asks for it under 400 tokens", async () => {
    setup({ review_checkpoint: "full" });
    ollama.script.on({ user: "Unit u1:" }, good);
    openai.script.setDefault({
      json: { action: "accept", feedback: "", issues: [], confidence: 0.9, sub_units: [] },
    });
    const { result, code, stderr } = await run();
    expect(code, stderr).toBe(0);
    expect(result.accepted).toEqual(["u1"]);
    const [review] = reviewerBodies();
    expect(review?.max_completion_tokens ?? review?.max_tokens).toBe(400);
    expect(Object.keys(review?.response_format?.json_schema?.schema?.properties ?? {})).toContain(
      "sub_units",
    );
  });

  it("gives the compact issues to the drafter as feedback on pass: false", async () => {
    setup();
    ollama.script.on({ user: "Unit u1:" }, nonsense, { times: 1 }).on({ user: "Unit u1:" }, good);
    openai.script
      .on(
        { user: "nonsense" },
        { json: { pass: false, issues: ["add was deleted"], confidence: 0.9, escalate: false } },
      )
      .on({ system: compactSystem }, pass);
    const { result, code, stderr } = await run();
    expect(code, stderr).toBe(0);
    expect(result.accepted).toEqual(["u1"]);
    expect(textOf(drafterBodies()[1])).toContain("- add was deleted");
    expect(textOf(drafterBodies()[1]).split("add was deleted")).toHaveLength(2); // said once
    expect(plannerBodies()).toHaveLength(1); // a revision, no redirect
  });

  it("on low confidence the planner redirects in ≤ 50 tokens, the drafter retries and is accepted", async () => {
    setup();
    anthropic.script.on({ system: redirectSystem }, { text: direction });
    ollama.script.on({ user: "Direction from the planner" }, good).on({ user: "Unit u1:" }, nonsense);
    openai.script
      .on(
        { user: "nonsense" },
        { json: { pass: true, issues: ["unsure add is kept"], confidence: 0.4, escalate: false } },
      )
      .on({ system: compactSystem }, pass);
    const { result, code, stderr } = await run();
    expect(code, stderr).toBe(0);
    expect(result.accepted).toEqual(["u1"]);
    expect(result.escalations).toBe(0);
    expect(result.units[0]).toMatchObject({ author: "drafter", redirected: true });
    const planner = plannerBodies();
    expect(planner).toHaveLength(2);
    expect(planner[1]?.max_tokens).toBe(50);
    expect(textOf(planner[1])).toContain("+export const nonsense = 1;");
    expect(textOf(planner[1])).toContain("reviewer confidence 0.4 below 0.7");
    expect(textOf(drafterBodies()[1])).toContain(`Direction from the planner: ${direction}`);
    // The redirect is in the run log (with its tokens), the ledger (purpose "redirect") and the view.
    const records = logRecords(sandbox);
    const redirect = records.find((record) => record.type === "redirect");
    expect(redirect).toMatchObject({ unitId: "u1", direction, maxOutputTokens: 50 });
    expect((redirect?.usage as { outputTokens: number } | undefined)?.outputTokens).toBeGreaterThan(0);
    expect(
      records.some(
        (record) => record.type === "usage" && record.purpose === "redirect" && record.role === "planner",
      ),
    ).toBe(true);
    expect(result.totals.planner?.calls).toBe(2);
    const human = await runCliProcess(sandbox, ["run", "-t", "add mul"]);
    expect(human.stderr).toContain(`u1: planner redirect (`);
  });

  it("when the redirected draft still fails, the planner writes the unit (full escalation, with consent)", async () => {
    setup();
    anthropic.script
      .on({ system: redirectSystem }, { text: direction })
      .on({ system: "could not complete this unit" }, good);
    ollama.script.on({ user: "Unit u1:" }, nonsense);
    openai.script
      .on(
        { user: "nonsense" },
        { json: { pass: false, issues: ["add was deleted"], confidence: 0.9, escalate: true } },
      )
      .on({ system: compactSystem }, pass);
    const declined = await runCliProcess(sandbox, ["run", "-t", "add mul"]);
    expect(declined.code).toBe(12); // the redirect needs no consent; the planner's draft does
    expect(plannerBodies().map((body) => body.max_tokens)).toEqual([expect.any(Number), 50]);
    const { result, code, stderr } = await run(["--yes"]);
    expect(code, stderr).toBe(0);
    expect(result.escalations).toBe(1);
    expect(result.units[0]).toMatchObject({ author: "planner", redirected: true });
    // The plan comes from the plan cache now: a redirect, then the planner's own draft.
    const planner = plannerBodies().slice(2);
    expect(planner).toHaveLength(2);
    expect(planner[0]?.max_tokens).toBe(50);
    expect(textOf(planner[1])).toContain("could not complete this unit");
    expect(textOf(planner[1])).toContain("add was deleted");
    // Two drafts (first and redirected) before the planner's, each reviewed, then the escalated one.
    expect(reviewerBodies()).toHaveLength(2 + 3);
  });

  it("redirect_before_escalation: false goes straight to the planner's draft", async () => {
    setup({ redirect_before_escalation: false });
    anthropic.script.on({ system: "could not complete this unit" }, good);
    ollama.script.on({ user: "Unit u1:" }, nonsense);
    openai.script
      .on({ user: "nonsense" }, { json: { pass: false, issues: [], confidence: 0.9, escalate: true } })
      .on({ system: compactSystem }, pass);
    const { result, code, stderr } = await run(["--yes"]);
    expect(code, stderr).toBe(0);
    expect(result.units[0]?.author).toBe("planner");
    expect(plannerBodies()).toHaveLength(2);
    expect(plannerBodies().some((body) => textOf(body).includes(redirectSystem))).toBe(false);
  });

  it("never reads a verdict cut off at the cap as a pass: one retry, then the unit fails", async () => {
    setup({ redirect_before_escalation: false });
    ollama.script.on({ user: "Unit u1:" }, good);
    // Cut at 100 tokens this still repairs to {"pass": true, …}: it must not be taken.
    const long = `{"pass": true, "issues": ["${"the helper is fine but ".repeat(60)}"], "confidence": 0.9, "escalate": false}`;
    openai.script.setDefault({ text: long });
    const { result, stderr } = await run();
    expect(result.accepted).toEqual([]);
    expect(result.failed).toEqual(["u1"]);
    expect(result.units[0]?.reason ?? stderr).toMatch(/cut off at 100 output tokens/);
    const reviews = reviewerBodies();
    expect(reviews).toHaveLength(2);
    expect(textOf(reviews[1])).toContain("Your verdict was cut off at 100 tokens");
  });

  it("takes the retry when the cut-off verdict is answered briefly the second time", async () => {
    setup();
    ollama.script.on({ user: "Unit u1:" }, good);
    openai.script
      .on({ user: "was cut off" }, pass)
      .on({ system: compactSystem }, { text: `{"pass": false, "issues": ["${"x ".repeat(400)}"]}` });
    const { result, code, stderr } = await run();
    expect(code, stderr).toBe(0);
    expect(result.accepted).toEqual(["u1"]);
    expect(reviewerBodies()).toHaveLength(2);
  });
});

describe("the output cap reaches every provider kind (`hierocode review --file`)", {
  timeout: 60_000,
}, () => {
  const reviewWith = async (provider: Record<string, unknown>, model: string, extraEnv = {}) => {
    sandbox = makeSandbox({
      providers: { reviewer_under_test: provider, local: { type: "ollama", base_url: ollama.url } },
      routing: {
        planner: { provider: "reviewer_under_test", model },
        drafter: { provider: "local", model: "qwen2.5-coder:7b" },
        reviewer: { provider: "reviewer_under_test", model },
      },
    });
    Object.assign(sandbox.env, extraEnv);
    return runCliProcess(sandbox, ["review", "-t", "keep add correct", "--file", "src/app/math.ts"]);
  };

  it("Ollama: options.num_predict", async () => {
    ollama.script.setDefault(pass);
    const outcome = await reviewWith({ type: "ollama", base_url: ollama.url }, "qwen2.5-coder:7b");
    expect(outcome.code, outcome.stderr).toBe(0);
    const [review] = drafterBodies();
    expect(review?.options?.num_predict).toBe(100);
  });

  it("OpenAI-compatible and LM Studio: max_tokens", async () => {
    openai.script.setDefault(pass);
    for (const type of ["openai_compatible", "lmstudio"]) {
      const outcome = await reviewWith(
        { type, base_url: openai.baseUrl, auth: { type: "bearer_env", env_var: "OPENAI_API_KEY" } },
        "gpt-5.4-mini",
      );
      expect(outcome.code, `${type}: ${outcome.stderr}`).toBe(0);
    }
    const reviews = reviewerBodies();
    expect(reviews).toHaveLength(2);
    for (const review of reviews) expect(review.max_completion_tokens ?? review.max_tokens).toBe(100);
  });

  it("Anthropic: max_tokens", async () => {
    anthropic.script.setDefault(pass);
    const outcome = await reviewWith(
      {
        type: "anthropic",
        base_url: anthropic.url,
        auth: { type: "bearer_env", env_var: "ANTHROPIC_API_KEY" },
      },
      "claude-sonnet-4-6",
    );
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(plannerBodies()[0]?.max_tokens).toBe(100);
  });

  it("claude CLI: CLAUDE_CODE_MAX_OUTPUT_TOKENS (thinking off below 1,025); codex CLI: only the prompt", async () => {
    const clis = installFakeClis({
      isolatePath: true,
      claudeScript: { default: { json: pass.json } },
      codexScript: { default: { json: pass.json } },
    });
    try {
      const cliEnv = Object.fromEntries(
        Object.entries(clis.env).filter(([name, value]) => name.startsWith("FAKE_") && value !== undefined),
      );
      const claude = await reviewWith(
        { type: "claude_code_cli", binary: clis.claudePath },
        "claude-haiku-4-5",
        {
          ...cliEnv,
          PATH: clis.env.PATH ?? "",
        },
      );
      expect(claude.code, claude.stderr).toBe(0);
      const [call] = clis.logOf("claude").filter((entry) => entry.argv.includes("-p"));
      // The fake fails this call like the API would if thinking stayed on under a 100-token cap.
      expect(call).toMatchObject({ maxOutputTokens: 100, thinking: false });
      const codex = await reviewWith({ type: "codex_cli", binary: clis.codexPath }, "gpt-5", {
        ...cliEnv,
        PATH: clis.env.PATH ?? "",
      });
      expect(codex.code, codex.stderr).toBe(0);
      const [exec] = clis.logOf("codex").filter((entry) => entry.argv.includes("exec"));
      expect(exec?.argv.join(" ")).toContain("max 100 tokens");
      expect(exec?.argv.join(" ")).not.toMatch(/max_output_tokens/);
    } finally {
      clis.cleanup();
    }
  });
});
