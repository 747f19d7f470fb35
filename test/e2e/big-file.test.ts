/**
 * Big files in `run` (issue 12, item 4): a unit may target a file larger than the drafter's
 * budget. The plan is not rejected for it; the drafter sees the file through the same excerpt +
 * signatures packing as `draft --file`, within its num_ctx; the SEARCH/REPLACE edit is applied
 * against the full file, which keeps every line the drafter did not see.
 */
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { makeSandbox, runCliProcess, type Sandbox } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

let ollama: FakeOllama;
let sandbox: Sandbox;

afterEach(async () => {
  await ollama.close();
  rmSync(resolve(sandbox.repo, ".."), { recursive: true, force: true });
});

/** ~25k tokens of Python: 400 small functions, one of which the task changes. */
function bigModule(): string {
  const parts: string[] = ['"""Many helpers."""\n'];
  for (let index = 0; index < 400; index += 1) {
    if (index === 257) parts.push("def apply_discount(price, rate):\n    return price - price * rate\n");
    parts.push(
      `def helper_${index}(value, factor=${index}):\n    """Scale value by factor ${index} and clamp it."""\n    scaled = value * factor + ${index}\n    return max(0, min(scaled, ${index * 10}))\n`,
    );
  }
  return parts.join("\n");
}

describe("run edits a file larger than the drafter's budget", { timeout: 90_000 }, () => {
  it("plans it, drafts from an excerpt within num_ctx, applies against the full file", async () => {
    ollama = await startFakeOllama();
    ollama.models[0] = { ...(ollama.models[0] as (typeof ollama.models)[number]), contextLength: 8192 };
    const big = bigModule();
    const plan = {
      summary: "round discounts",
      units: [
        {
          ...unit("u1", ["pricing/helpers.py"]),
          goal: "make apply_discount round the result to 2 decimals",
          est_input_tokens: 30_000,
        },
      ],
    };
    ollama.script
      .on({ system: "You are the planner" }, { json: plan })
      .on(
        { system: "You review one unit" },
        { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } },
      )
      .on(
        { user: "Unit u1:" },
        {
          text: searchReplace(
            "pricing/helpers.py",
            "def apply_discount(price, rate):\n    return price - price * rate",
            "def apply_discount(price, rate):\n    return round(price - price * rate, 2)",
          ),
        },
      );
    sandbox = makeSandbox(
      {
        providers: { local: { type: "ollama", base_url: ollama.url, max_retries: 0 } },
        routing: {
          planner: { provider: "local", model: "qwen2.5-coder:7b" },
          drafter: { provider: "local", model: "qwen2.5-coder:7b" },
        },
      },
      { "pricing/helpers.py": big },
    );
    const run = await runCliProcess(sandbox, ["run", "-t", "round discounts to cents", "--apply", "--yes"]);
    expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
    expect(run.stderr).not.toContain("plan rejected");

    const draft = ollama
      .requestsTo("/api/chat")
      .find((request) => JSON.stringify(request.body).includes("Unit u1:"));
    const body = draft?.body as { messages: Array<{ content: string }>; options: { num_ctx: number } };
    const prompt = body.messages.map((message) => message.content).join("\n");
    // The drafter saw the function to change and signatures of the rest, not the whole file.
    expect(prompt).toContain("def apply_discount(price, rate):");
    expect(prompt.length).toBeLessThan(big.length / 2);
    expect(body.options.num_ctx).toBe(8192);
    expect(ollama.runners.clamped).toBe(0);

    const after = readFileSync(join(sandbox.repo, "pricing/helpers.py"), "utf8");
    expect(after).toBe(
      big.replace("    return price - price * rate\n", "    return round(price - price * rate, 2)\n"),
    );
  });
});
