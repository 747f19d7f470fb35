/**
 * Planning: the task, the repository skeleton and the drafter's profile in; a validated plan out.
 * The plan comes through structured output; an invalid plan (bad JSON, schema, paths, cycles,
 * budget) is sent back once with the problems, and a second failure is a clear error.
 * Plans are cached under a key of everything they depend on.
 */
import { createHash } from "node:crypto";
import { ModelOutputError } from "../errors.js";
import type { ChatMessage } from "../providers/spec.js";
import type { CapacityProfile } from "./capacity.js";
import type { EventSink } from "./events.js";
import type { ModelCaller } from "./model-call.js";
import { type Plan, planJsonSchema, planSchema } from "./plan-schema.js";
import { normalizePlanPaths, repairPlan, validatePlan } from "./plan-validation.js";
import type { PlanCacheStore, RepoSkeleton, RunLogSink, TokenCounter } from "./ports.js";
import { PROMPT_VERSION, plannerSystem, plannerUserPrompt, planRetryPrompt } from "./prompts.js";

export interface PlanKeyInput {
  task: string;
  skeleton: RepoSkeleton;
  planner: { provider: string; model: string };
  drafter: { provider: string; model: string };
  profile: CapacityProfile;
  maxUnits: number;
  /** The memory block given to the planner, if any. */
  memory?: string;
}

/** Everything the plan depends on: a change to any file the planner saw gives a new key. */
export function planCacheKey(input: PlanKeyInput): string {
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify({
      prompt: PROMPT_VERSION,
      task: input.task.trim(),
      files: input.skeleton.files.map((file) => [file.path, file.sha256]),
      skeleton: createHash("sha256").update(input.skeleton.text).digest("hex"),
      planner: input.planner,
      drafter: input.drafter,
      capacity: {
        tier: input.profile.tier,
        numCtx: input.profile.numCtx,
        maxInput: input.profile.maxInputTokens,
        maxOutput: input.profile.maxOutputTokens,
        files: input.profile.maxFilesPerUnit,
      },
      maxUnits: input.maxUnits,
      ...(input.memory ? { memory: input.memory } : {}),
    }),
  );
  return hash.digest("hex");
}

export interface PlanningDeps {
  caller: ModelCaller;
  counter: TokenCounter;
  /** Large targets reach the drafter as excerpts (a symbol-aware packer is in use). */
  excerpts?: boolean;
  fileExists(path: string): boolean;
  readFile(path: string): string | null;
  emit?: EventSink;
  log?: RunLogSink;
}

export async function requestPlan(
  deps: PlanningDeps,
  input: {
    task: string;
    skeleton: RepoSkeleton;
    profile: CapacityProfile;
    maxUnits: number;
    memory?: string;
  },
): Promise<Plan> {
  const limits = {
    maxUnits: input.maxUnits,
    maxFilesPerUnit: input.profile.maxFilesPerUnit,
    maxInputTokens: input.profile.maxInputTokens,
    ...(deps.excerpts ? { excerpts: true } : {}),
  };
  const fileTokens = (path: string) => deps.counter.count(deps.readFile(path) ?? "");
  const messages: ChatMessage[] = [
    {
      role: "user",
      content: `${plannerUserPrompt(input.task, input.profile, input.maxUnits)}${input.memory ? `\n\n${input.memory}` : ""}`,
    },
  ];
  let problems: string[] = [];
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    let previousText = "";
    try {
      const { value, result } = await deps.caller.callJson<Plan>(
        "planner",
        {
          system: plannerSystem,
          cachedContext: `Repository map:\n${input.skeleton.text}`,
          messages,
          maxOutputTokens: 4096,
          jsonSchema: planJsonSchema(),
          schemaName: "plan",
          temperature: 0,
        },
        planSchema,
        { purpose: attempt === 1 ? "plan" : "plan retry" },
        (raw) => repairPlan(raw, { fileExists: deps.fileExists, fileTokens }),
      );
      previousText = result.text || JSON.stringify(result.json);
      problems = validatePlan(value, { limits, fileExists: deps.fileExists, fileTokens });
      if (problems.length === 0) return normalizePlanPaths(value);
    } catch (error) {
      if (!(error instanceof ModelOutputError)) throw error;
      const details = error.details?.problems;
      problems = Array.isArray(details)
        ? [error.message, ...(details as string[]).slice(0, 10)]
        : [error.message];
      previousText = String(error.details?.received ?? "");
    }
    deps.emit?.({ type: "plan-invalid", attempt, problems });
    deps.log?.append({ type: "plan-invalid", attempt, problems });
    messages.push(
      { role: "assistant", content: previousText || "(no answer)" },
      { role: "user", content: planRetryPrompt(problems) },
    );
  }
  throw new ModelOutputError(`the planner's plan was invalid twice: ${problems[0] ?? "unknown problem"}`, {
    hint: "try a stronger planner model (hierocode models set planner …) or a more specific task",
    expected: "a plan matching the schema with valid paths and dependencies",
    details: { problems },
  });
}

export interface ObtainPlanOptions {
  task: string;
  skeleton: RepoSkeleton;
  profile: CapacityProfile;
  maxUnits: number;
  key: string;
  /** The memory block for the planner's prompt (src/memory/retrieve.ts). */
  memory?: string;
  cache?: PlanCacheStore;
  /** Skip the cache lookup (still stores the new plan). */
  refresh?: boolean;
  meta: { plannerModel: string; drafterModel: string };
}

export async function obtainPlan(
  deps: PlanningDeps,
  options: ObtainPlanOptions,
): Promise<{ plan: Plan; fromCache: boolean }> {
  if (options.cache && !options.refresh) {
    const cached = options.cache.get(options.key);
    if (cached) {
      // A cached plan is re-validated: files it names may have been deleted since.
      const problems = validatePlan(cached, {
        limits: {
          maxUnits: options.maxUnits,
          maxFilesPerUnit: options.profile.maxFilesPerUnit,
          maxInputTokens: options.profile.maxInputTokens,
          ...(deps.excerpts ? { excerpts: true } : {}),
        },
        fileExists: deps.fileExists,
      });
      deps.emit?.({ type: "plan-cache", hit: problems.length === 0, key: options.key });
      if (problems.length === 0) return { plan: cached, fromCache: true };
    } else {
      deps.emit?.({ type: "plan-cache", hit: false, key: options.key });
    }
  }
  const plan = await requestPlan(deps, options);
  options.cache?.put(options.key, plan, { task: options.task, ...options.meta });
  return { plan, fromCache: false };
}
