/**
 * Pipeline benchmark (`npm run bench:pipeline`).
 *
 * 1. Parallel dispatch: 16 independent units, drafter 300 ms (fake Ollama over HTTP), reviewer
 *    100 ms (fake OpenAI-compatible over HTTP), 4 local workers. Ideal = ceil(16/4) × 400 ms.
 * 2. Orchestration overhead: a 200-unit plan with instant in-process models; wall time per model
 *    call, including the run log (JSONL) and the usage ledger (SQLite) on every call.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinPriceTable } from "../src/cost/price-table.js";
import { defaultEditEngine } from "../src/pipeline/edit-engine.js";
import type { PipelineEvent } from "../src/pipeline/events.js";
import { type PipelineDeps, type PipelinePolicy, runPipeline } from "../src/pipeline/pipeline.js";
import type { Plan } from "../src/pipeline/plan-schema.js";
import { basicRepoAccess, charsPerTokenCounter } from "../src/pipeline/repo-fallback.js";
import { createProvider } from "../src/providers/registry.js";
import type { GenerateRequest, GenerateResult, Provider } from "../src/providers/spec.js";
import { openDatabase } from "../src/store/database.js";
import { openRunLog } from "../src/store/run-log.js";
import { usageLedger } from "../src/store/usage-ledger.js";
import { startFakeAnthropic } from "../test/kit/fake-anthropic.js";
import { startFakeOllama } from "../test/kit/fake-ollama.js";
import { startFakeOpenAI } from "../test/kit/fake-openai.js";

const policy: PipelinePolicy = {
  maxRevisions: 2,
  maxEscalations: 3,
  warnBeforeEscalation: false,
  confidenceThreshold: 0.7,
  reviewMaxOutputTokens: 400,
  maxUnits: 500,
  maxSplitDepth: 2,
  maxEditRetries: 1,
  maxVerifyRounds: 0,
};

const accept = { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] };

function makeRepo(count: number): string {
  const root = mkdtempSync(join(tmpdir(), "bench-pipeline-"));
  for (let index = 0; index < count; index += 1) {
    const dir = join(root, "src", `mod${Math.floor(index / 20)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file${index}.ts`), `export const value${index} = ${index};\n`);
  }
  return root;
}

function planFor(count: number): Plan {
  return {
    summary: "bench",
    units: Array.from({ length: count }, (_, index) => ({
      id: `u${index}`,
      goal: `bump value${index}`,
      target_files: [`src/mod${Math.floor(index / 20)}/file${index}.ts`],
      new_files: [],
      context_files: [],
      acceptance: ["value bumped"],
      depends_on: [],
      est_input_tokens: 200,
      complexity: 1,
    })),
  };
}

function draftReply(request: GenerateRequest): string {
  const text = request.messages.map((message) => message.content).join("\n");
  const match = /Unit u(\d+):/.exec(text);
  const index = Number(match?.[1] ?? 0);
  return `src/mod${Math.floor(index / 20)}/file${index}.ts\n\`\`\`\nexport const value${index} = ${index + 1};\n\`\`\`\n`;
}

function baseDeps(root: string, roles: PipelineDeps["roles"], events: PipelineEvent[]): PipelineDeps {
  const database = openDatabase(join(root, ".state", "state.db"));
  return {
    roles,
    repo: basicRepoAccess(root),
    counter: charsPerTokenCounter,
    edits: defaultEditEngine,
    priceTable: builtinPriceTable,
    memory: { totalRamBytes: 64 * 1024 ** 3, vramBytes: 0 },
    ledger: usageLedger(database),
    log: openRunLog(join(root, ".haco", "logs", "bench.jsonl")),
    emit: (event) => events.push(event),
  };
}

async function parallelDispatch(): Promise<void> {
  const units = 16;
  const root = makeRepo(units);
  const anthropic = await startFakeAnthropic();
  const ollama = await startFakeOllama();
  const openai = await startFakeOpenAI();
  const plan = planFor(units);
  anthropic.script.on({ system: "You are the planner" }, { json: plan });
  for (let index = 0; index < units; index += 1) {
    ollama.script.on(
      { user: `Unit u${index}:` },
      {
        text: draftReply({
          model: "",
          maxOutputTokens: 0,
          messages: [{ role: "user", content: `Unit u${index}:` }],
        }),
      },
      { delayMs: 300 },
    );
  }
  openai.script.setDefault({ json: accept });
  openai.script.on({ user: "Unit u" }, { json: accept }, { delayMs: 100 });
  const runtime = { env: { ANTHROPIC_API_KEY: "sk-bench", OPENAI_API_KEY: "sk-bench" } };
  const roles: PipelineDeps["roles"] = {
    planner: {
      providerName: "api",
      provider: createProvider(
        "api",
        {
          type: "anthropic",
          base_url: anthropic.url,
          auth: { type: "bearer_env", env_var: "ANTHROPIC_API_KEY" },
        },
        runtime,
      ),
      model: "claude-sonnet-4-6",
    },
    drafter: {
      providerName: "local",
      provider: createProvider(
        "local",
        { type: "ollama", base_url: ollama.url, auth: { type: "none" } },
        runtime,
      ),
      model: "qwen2.5-coder:7b",
    },
    reviewer: {
      providerName: "oai",
      provider: createProvider(
        "oai",
        {
          type: "openai_compatible",
          base_url: openai.baseUrl,
          auth: { type: "bearer_env", env_var: "OPENAI_API_KEY" },
        },
        runtime,
      ),
      model: "gpt-5.4-mini",
    },
  };
  const events: PipelineEvent[] = [];
  const marks: Record<string, number> = {};
  const deps = baseDeps(root, roles, events);
  const emit = deps.emit;
  deps.emit = (event) => {
    if (event.type === "plan-ready") marks.dispatch = performance.now();
    if (event.type === "run-finished") marks.finished = performance.now();
    emit?.(event);
  };
  const started = performance.now();
  const result = await runPipeline(deps, {
    runId: "bench-parallel",
    task: "bump every value",
    policy,
    workers: { local: 4, remote: 8 },
  });
  const total = performance.now() - started;
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
  const dispatch = (marks.finished ?? 0) - (marks.dispatch ?? 0);
  const ideal = Math.ceil(units / 4) * 400;
  const over = ((dispatch / ideal - 1) * 100).toFixed(1);
  console.log(
    "## 1. Parallel dispatch (fake Ollama 300 ms, fake OpenAI reviewer 100 ms, HTTP, 4 local workers)",
  );
  console.log(
    "| units | accepted | ideal ceil(16/4)×400 ms | dispatch wall time | vs ideal | whole run (incl. probe + plan) |",
  );
  console.log("|---|---|---|---|---|---|");
  console.log(
    `| ${units} | ${result.accepted.length} | ${ideal} ms | ${dispatch.toFixed(0)} ms | +${over}% | ${total.toFixed(0)} ms |`,
  );
  const target = dispatch <= ideal * 1.15 ? "PASS" : "FAIL";
  console.log(`target: within 15% of ideal → ${target}\n`);
}

function instantProvider(
  name: string,
  answer: (request: GenerateRequest) => GenerateResult["text"] | { json: unknown },
  local: boolean,
): Provider {
  return {
    name,
    type: local ? "ollama" : "openai_compatible",
    local,
    async generate(request) {
      const reply = answer(request);
      const text = typeof reply === "string" ? reply : JSON.stringify(reply.json);
      return {
        text,
        ...(typeof reply === "string" ? {} : { json: reply.json }),
        usage: { inputTokens: 500, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0 },
        finishReason: "stop",
        latencyMs: 0,
        modelId: request.model,
        subscriptionMessages: 0,
        warnings: [],
      };
    },
    async *stream() {},
    async listModels() {
      return [];
    },
    async health() {
      return { ok: true, reachable: true, message: "ok" };
    },
    async capacity(model) {
      return { model, contextLength: 32768, parameterSize: "7.6B" };
    },
  };
}

async function overhead(): Promise<void> {
  const units = 200;
  const root = makeRepo(units);
  const plan = planFor(units);
  const roles: PipelineDeps["roles"] = {
    planner: {
      providerName: "api",
      provider: instantProvider("api", () => ({ json: plan }), false),
      model: "claude-sonnet-4-6",
    },
    drafter: {
      providerName: "local",
      provider: instantProvider("local", draftReply, true),
      model: "qwen2.5-coder:7b",
    },
    reviewer: {
      providerName: "oai",
      provider: instantProvider("oai", () => ({ json: accept }), false),
      model: "gpt-5.4-mini",
    },
  };
  const events: PipelineEvent[] = [];
  const deps = baseDeps(root, roles, events);
  // Warm-up (module JIT, SQLite statements) on a separate run id.
  await runPipeline(deps, { runId: "warmup", task: "warm up", policy, workers: { local: 4, remote: 8 } });
  const started = performance.now();
  const result = await runPipeline(deps, {
    runId: "bench-overhead",
    task: "bump every value",
    policy,
    workers: { local: 4, remote: 8 },
  });
  const wall = performance.now() - started;
  const calls = result.totals.planner.calls + result.totals.drafter.calls + result.totals.reviewer.calls;
  const perCall = wall / calls;
  console.log(
    "## 2. Orchestration overhead (200-unit plan, instant in-process models, run log + SQLite ledger on)",
  );
  console.log("| units | accepted | model calls | wall time | per call | per unit |");
  console.log("|---|---|---|---|---|---|");
  console.log(
    `| ${units} | ${result.accepted.length} | ${calls} | ${wall.toFixed(0)} ms | ${perCall.toFixed(3)} ms | ${(wall / units).toFixed(3)} ms |`,
  );
  console.log(`target: under 2 ms per call → ${perCall < 2 ? "PASS" : "FAIL"}`);
}

await parallelDispatch();
await overhead();
