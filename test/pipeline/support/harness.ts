/** Builds a pipeline around scripted providers and a temporary repository with nested folders. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { builtinPriceTable } from "../../../src/cost/price-table.js";
import { defaultEditEngine } from "../../../src/pipeline/edit-engine.js";
import type { PipelineEvent } from "../../../src/pipeline/events.js";
import type { PipelineDeps, PipelineOptions, PipelinePolicy } from "../../../src/pipeline/pipeline.js";
import type { Plan } from "../../../src/pipeline/plan-schema.js";
import type { PlanCacheStore, RunLogRecord } from "../../../src/pipeline/ports.js";
import { basicRepoAccess, charsPerTokenCounter } from "../../../src/pipeline/repo-fallback.js";
import type { GenerateRequest } from "../../../src/providers/spec.js";
import { type Answer, type ScriptedProvider, scriptedProvider } from "./scripted-provider.js";

export const files: Record<string, string> = {
  "src/app/math.ts": "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
  "src/app/strings.ts": "export function shout(text: string): string {\n  return text.toUpperCase();\n}\n",
  "lib/deep/nested/util.py": "def double(x):\n    return x * 2\n",
  "README.md": "# demo\n",
};

export function makeRepo(extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "pipeline-"));
  for (const [path, content] of Object.entries({ ...files, ...extra })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

export const defaultPolicy: PipelinePolicy = {
  maxRevisions: 2,
  maxEscalations: 3,
  warnBeforeEscalation: false,
  confidenceThreshold: 0.7,
  reviewMaxOutputTokens: 400,
  reviewCheckpoint: "compact",
  // The redirect has its own tests (compact-checkpoints); the older ones script no redirect.
  redirectBeforeEscalation: false,
  redirectMaxOutputTokens: 50,
  maxUnits: 24,
  maxSplitDepth: 2,
  maxEditRetries: 1,
  maxVerifyRounds: 2,
};

export function unit(
  id: string,
  targets: string[],
  extra: Partial<Plan["units"][number]> = {},
): Plan["units"][number] {
  return {
    id,
    goal: `goal of ${id}`,
    target_files: targets,
    new_files: [],
    context_files: [],
    acceptance: ["does the thing"],
    depends_on: [],
    est_input_tokens: 300,
    complexity: 2,
    ...extra,
  };
}

export function verdict(action: string, extra: Record<string, unknown> = {}): Answer {
  return {
    json: {
      action,
      feedback: action === "accept" ? "" : `please ${action}`,
      issues: [],
      confidence: 0.9,
      sub_units: [],
      ...extra,
    },
  };
}

export function wholeFile(path: string, content: string): string {
  return `${path}\n\`\`\`\n${content}\`\`\`\n`;
}

export function searchReplace(path: string, search: string, replace: string): string {
  return `${path}\n\`\`\`\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n\`\`\`\n`;
}

export function memoryPlanCache(): PlanCacheStore & { entries: Map<string, Plan> } {
  const entries = new Map<string, Plan>();
  return { entries, get: (key) => entries.get(key), put: (key, plan) => void entries.set(key, plan) };
}

export interface HarnessOptions {
  planner: (request: GenerateRequest, index: number) => Answer | Promise<Answer>;
  drafter: (request: GenerateRequest, index: number) => Answer | Promise<Answer>;
  reviewer?: (request: GenerateRequest, index: number) => Answer | Promise<Answer>;
  drafterDelayMs?: number;
  reviewerDelayMs?: number;
}

export function harness(options: HarnessOptions) {
  const planner = scriptedProvider({
    name: "planner-api",
    type: "anthropic",
    local: false,
    answer: options.planner,
  });
  const drafter = scriptedProvider({
    name: "local",
    type: "ollama",
    local: true,
    contextLength: 32768,
    parameterSize: "7.6B",
    ...(options.drafterDelayMs ? { delayMs: options.drafterDelayMs } : {}),
    answer: options.drafter,
  });
  const reviewer = scriptedProvider({
    name: "reviewer-api",
    type: "openai_compatible",
    local: false,
    ...(options.reviewerDelayMs ? { delayMs: options.reviewerDelayMs } : {}),
    answer: options.reviewer ?? (() => verdict("accept")),
  });
  const events: PipelineEvent[] = [];
  const log: RunLogRecord[] = [];
  const deps = (root: string, extra: Partial<PipelineDeps> = {}): PipelineDeps => ({
    roles: {
      planner: { providerName: "planner-api", provider: planner, model: "claude-haiku-4-5" },
      drafter: { providerName: "local", provider: drafter, model: "qwen2.5-coder:7b" },
      reviewer: { providerName: "reviewer-api", provider: reviewer, model: "gpt-5-mini" },
    },
    repo: basicRepoAccess(root),
    counter: charsPerTokenCounter,
    edits: defaultEditEngine,
    priceTable: builtinPriceTable,
    memory: { totalRamBytes: 64 * 1024 ** 3, vramBytes: 0 },
    emit: (event) => events.push(event),
    log: { append: (record) => void log.push(JSON.parse(JSON.stringify(record)) as RunLogRecord) },
    ...extra,
  });
  const options_ = (task = "do the task", extra: Partial<PipelineOptions> = {}): PipelineOptions => ({
    runId: "run-1",
    task,
    policy: defaultPolicy,
    workers: { local: 4, remote: 8 },
    ...extra,
  });
  return { planner, drafter, reviewer, events, log, deps, options: options_ };
}

export function planAnswer(plan: Plan): Answer {
  return { json: plan };
}

export type { ScriptedProvider };
