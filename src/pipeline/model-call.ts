/**
 * Every model call goes through here: the role's own binding, the run's abort signal, the audit
 * log (prompt and reply), the usage ledger (tokens, cost, latency, outcome) and progress events.
 * Structured calls validate the JSON against a zod schema and fall back to string-aware
 * extraction when the provider answered in text.
 */
import type { ZodType } from "zod";
import { type RedactionReport, SecretVault } from "../checks/redact.js";
import type { PriceTable } from "../cost/price-table.js";
import { costOfCall } from "../cost/usage-cost.js";
import { AbortError, ContextOverflowError, isAbortLike, ModelOutputError, ProviderError } from "../errors.js";
import { type JsonAcceptance, readModelJson } from "../providers/json-output.js";
import { estimatePromptTokens, joinedSystemText } from "../providers/provider-support.js";
import { mergeReasoning, splitReasoning } from "../providers/reasoning.js";
import {
  addUsage,
  emptyUsage,
  type GenerateRequest,
  type GenerateResult,
  type Provider,
  type Usage,
} from "../providers/spec.js";
import type { EventSink, PipelineRole } from "./events.js";
import type { Clock, RunLogSink, TokenCounter, UsageRecord, UsageSink } from "./ports.js";

/** The context a run fixed for one model (Ollama): sent on every call, prompts measured against it. */
export interface ContextBudget {
  /** `num_ctx` for every call to this model in this run, in every role. */
  numCtx: number;
  /** The model's own tokenizer when known (else a conservative chars/3.5 estimate is used). */
  counter?: TokenCounter;
}

export interface RoleRuntime {
  /** Configured provider name (the key under `providers`). */
  providerName: string;
  provider: Provider;
  model: string;
  exploration?: "passive" | "active";
  /** Ollama: the provider config's pinned `num_ctx`, used instead of the run's choice. */
  pinnedNumCtx?: number;
}

export interface RoleTotals {
  calls: number;
  usage: Usage;
  /** Undefined once any call had no known price. */
  costUsd: number | undefined;
  subscriptionMessages: number;
  latencyMs: number;
}

export type CallRequest = Omit<GenerateRequest, "model" | "signal" | "cwd" | "exploration">;

export interface CallMeta {
  purpose: string;
  unitId?: string;
}

/** Repairs a parsed JSON value before schema validation (e.g. a plan in an older shape). */
export type JsonRepair = (raw: unknown) => { value: unknown; repairs: string[] };

/** Rough token count of reasoning text (4 characters a token), for the output-budget headroom. */
function reasoningTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Cap on the reasoning headroom added to a call's output budget. */
const maxReasoningHeadroom = 16_384;
/** Least headroom after reasoning was cut off: 1.5× a reasoning cut at 100 tokens is not enough. */
const minTruncatedReasoningHeadroom = 1024;

export interface ModelCallerOptions {
  runId: string;
  roles: Record<PipelineRole, RoleRuntime>;
  repoRoot: string;
  priceTable: PriceTable;
  clock: Clock;
  signal?: AbortSignal;
  ledger?: UsageSink;
  log?: RunLogSink;
  emit?: EventSink;
  /** Per-call hard limit, milliseconds. */
  timeoutMs?: number;
  /**
   * Secrets of this run: prompts for a provider that is not local are redacted with it and the
   * replies restored (a vault without env values or secret files allowed when absent).
   */
  vault?: SecretVault;
}

export function emptyTotals(): RoleTotals {
  return { calls: 0, usage: emptyUsage(), costUsd: 0, subscriptionMessages: 0, latencyMs: 0 };
}

export class ModelCaller {
  readonly totals: Record<PipelineRole, RoleTotals> = {
    planner: emptyTotals(),
    drafter: emptyTotals(),
    reviewer: emptyTotals(),
  };

  private readonly options: ModelCallerOptions;
  private readonly vault: SecretVault;
  /**
   * Output tokens to add for a model that reasons before answering, learned from its replies
   * (key: provider name + model). Reasoning counts against num_predict / max_tokens, so a budget
   * sized for the answer alone would cut the answer off.
   */
  private readonly reasoningHeadroom = new Map<string, number>();
  private readonly contexts = new Map<string, ContextBudget>();

  constructor(options: ModelCallerOptions) {
    this.options = options;
    this.vault = options.vault ?? new SecretVault();
  }

  /** The prompt as a remote model may see it: secrets replaced by placeholders, secret files withheld. */
  private redactRequest(role: PipelineRole, request: CallRequest, meta: CallMeta): CallRequest {
    const report: RedactionReport = { newSecrets: [], withheldFiles: [] };
    const redacted: CallRequest = {
      ...request,
      ...(request.system !== undefined ? { system: this.vault.redact(request.system, report) } : {}),
      ...(request.cachedContext !== undefined
        ? { cachedContext: this.vault.redact(request.cachedContext, report) }
        : {}),
      messages: request.messages.map((message) => ({
        ...message,
        content: this.vault.redact(message.content, report),
      })),
    };
    if (report.newSecrets.length > 0 || report.withheldFiles.length > 0) {
      const rules = [...new Set(report.newSecrets.map((secret) => secret.ruleId))];
      this.options.emit?.({
        type: "secrets-redacted",
        role,
        count: report.newSecrets.length,
        rules,
        withheldFiles: report.withheldFiles,
        ...unitOf(meta),
      });
      this.options.log?.append({
        type: "secrets-redacted",
        role,
        ...meta,
        count: report.newSecrets.length,
        rules,
        withheldFiles: report.withheldFiles,
      });
    }
    return redacted;
  }

  role(role: PipelineRole): RoleRuntime {
    return this.options.roles[role];
  }

  /** Drafters the router chose per unit (unit id → binding); other units use the role's own. */
  private readonly unitDrafters = new Map<string, RoleRuntime>();

  /**
   * Routes one unit's drafter calls to `binding` (src/routing: `router.mode` matrix or learned).
   * Calls without that unit id, and every other role, keep their own binding.
   */
  setUnitDrafter(unitId: string, binding: RoleRuntime): void {
    this.unitDrafters.set(unitId, binding);
  }

  private bindingFor(role: PipelineRole, meta: CallMeta): RoleRuntime {
    if (role === "drafter" && meta.unitId) {
      const routed = this.unitDrafters.get(meta.unitId);
      if (routed) return routed;
    }
    return this.options.roles[role];
  }

  /**
   * Fixes the context of one model for the rest of the run: every call to it (any role) sends
   * this `num_ctx`, so Ollama never reloads the runner mid-run, and every prompt is measured
   * against it before sending.
   */
  fixContext(providerName: string, model: string, budget: ContextBudget): void {
    this.contexts.set(`${providerName}\u0000${model}`, budget);
  }

  /** The context fixed for a role's model, if any. */
  contextOf(role: PipelineRole): ContextBudget | undefined {
    const binding = this.options.roles[role];
    return this.contexts.get(`${binding.providerName}\u0000${binding.model}`);
  }

  /**
   * One model call; the result's `text` is the answer without reasoning, `reasoning` keeps the rest
   * (also in the run log). A reasoning model that ran out of output budget while thinking is asked
   * once more with room for its reasoning, and later calls to it get that room from the start.
   */
  async call(role: PipelineRole, request: CallRequest, meta: CallMeta): Promise<GenerateResult> {
    const binding = this.bindingFor(role, meta);
    const key = `${binding.providerName}\u0000${binding.model}`;
    const headroom = this.reasoningHeadroom.get(key) ?? 0;
    const first = await this.callOnce(role, request, meta, headroom);
    if (!first.reasoning) return first;
    // Reasoning cut off by a small cap (a 100-token verdict) says little about its full length.
    const floor = first.finishReason === "length" ? minTruncatedReasoningHeadroom : 0;
    const needed = Math.min(
      maxReasoningHeadroom,
      Math.max(floor, Math.ceil(reasoningTokens(first.reasoning) * 1.5) + 256),
    );
    if (needed > headroom) this.reasoningHeadroom.set(key, needed);
    if (first.finishReason !== "length" || needed <= headroom) return first;
    return this.callOnce(role, request, { ...meta, purpose: `${meta.purpose} (room for reasoning)` }, needed);
  }

  /**
   * Sends one request. `headroom` output tokens are added for reasoning; with a context fixed for
   * the model (`fixContext`) `num_ctx` stays that value and the headroom only uses what is left of
   * it. Throws ContextOverflowError, sending nothing, when the prompt plus the requested output
   * budget does not fit the fixed context.
   */
  private async callOnce(
    role: PipelineRole,
    original: CallRequest,
    meta: CallMeta,
    headroom = 0,
  ): Promise<GenerateResult> {
    const { options } = this;
    if (options.signal?.aborted) throw new AbortError();
    const binding = this.bindingFor(role, meta);
    const remote = !binding.provider.local;
    const request = remote ? this.redactRequest(role, original, meta) : original;
    const full: GenerateRequest = {
      ...withHeadroom(request, headroom),
      model: binding.model,
      cwd: options.repoRoot,
      callTag: { role, purpose: meta.purpose },
      ...(binding.exploration ? { exploration: binding.exploration } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs && request.timeoutMs === undefined ? { timeoutMs: options.timeoutMs } : {}),
    };
    const budget = this.contexts.get(`${binding.providerName}\u0000${binding.model}`);
    if (budget) {
      full.numCtx = budget.numCtx;
      // A sound upper bound (src/tokens `atMost`) that already fits settles it without the exact
      // tokenizer; the exact count decides everything closer.
      const bound = budget.counter?.atMost;
      const fitsByBound =
        bound !== undefined &&
        measurePrompt(full, { name: "upper bound", exact: false, count: bound }) + full.maxOutputTokens <=
          budget.numCtx;
      if (!fitsByBound) {
        const promptTokens = measurePrompt(full, budget.counter);
        const over = promptTokens + request.maxOutputTokens - budget.numCtx;
        if (over > 0) {
          throw new ContextOverflowError(
            `the ${role}'s prompt (${promptTokens} tokens) plus its output budget (${request.maxOutputTokens}) exceeds the context of ${binding.model} (num_ctx ${budget.numCtx}) by ${over} tokens; nothing was sent`,
            {
              hint: "shorten the task, use a model with a larger window (or pin num_ctx in the provider config), or narrow the files (draft --file excerpts)",
              details: {
                role,
                promptTokens,
                maxOutputTokens: request.maxOutputTokens,
                numCtx: budget.numCtx,
              },
            },
          );
        }
        // Reasoning headroom takes only what the fixed context has left.
        full.maxOutputTokens = Math.min(full.maxOutputTokens, budget.numCtx - promptTokens);
      }
    }
    const started = options.clock.now();
    options.log?.append({
      type: "prompt",
      role,
      ...meta,
      provider: binding.providerName,
      model: binding.model,
      system: request.system,
      cachedContext: request.cachedContext,
      messages: request.messages,
      maxOutputTokens: full.maxOutputTokens,
      ...(full.numCtx ? { numCtx: full.numCtx } : {}),
    });
    options.emit?.({
      type: "call-started",
      role,
      model: binding.model,
      purpose: meta.purpose,
      ...unitOf(meta),
    });
    let result: GenerateResult;
    try {
      result = await binding.provider.generate(full);
    } catch (error) {
      const aborted = options.signal?.aborted || isAbortLike(error);
      this.account(role, meta, emptyUsage(), options.clock.now() - started, aborted ? "aborted" : "error", 0);
      options.log?.append({ type: "call-error", role, ...meta, error: (error as Error).message });
      if (aborted) throw error instanceof AbortError ? error : new AbortError(undefined, { cause: error });
      throw error;
    }
    // Providers split reasoning from the answer; a CLI or server that left it inline is split here.
    const inline = splitReasoning(result.text);
    if (inline.reasoning) {
      result = {
        ...result,
        text: inline.answer,
        reasoning: mergeReasoning(result.reasoning, inline.reasoning),
      };
    }
    const outcome = result.finishReason === "length" ? "truncated" : "ok";
    this.account(role, meta, result.usage, result.latencyMs, outcome, result.subscriptionMessages);
    options.log?.append({
      type: "reply",
      role,
      ...meta,
      text: result.text,
      ...(result.reasoning ? { reasoning: result.reasoning } : {}),
      ...(result.json !== undefined ? { json: result.json } : {}),
      finishReason: result.finishReason,
      usage: result.usage,
      latencyMs: result.latencyMs,
      ...(result.warnings?.length ? { warnings: result.warnings } : {}),
    });
    if (remote && this.vault.size > 0) {
      // The reply may quote placeholders (an escalated draft); the local apply gets the real values.
      result = {
        ...result,
        text: this.vault.restore(result.text),
        ...(result.json !== undefined ? { json: this.vault.restoreDeep(result.json) } : {}),
      };
    }
    return result;
  }

  /**
   * A structured call: schema-constrained where the provider can, validated here either way. The
   * answer is read by the one JSON reader (providers/json-output.ts): the last JSON value that
   * validates wins, syntax is repaired, `repair` may fix the shape first. What was repaired comes
   * back in `repairs` (and goes to the run log). Throws ModelOutputError naming the real problem.
   */
  async callJson<T>(
    role: PipelineRole,
    request: CallRequest,
    schema: ZodType<T>,
    meta: CallMeta,
    repair?: JsonRepair,
  ): Promise<{ value: T; result: GenerateResult; repairs: string[] }> {
    const result = await this.call(role, request, meta);
    const accept = (raw: unknown): JsonAcceptance<T> => {
      const fixed = repair ? repair(raw) : { value: raw, repairs: [] };
      const parsed = schema.safeParse(fixed.value);
      if (parsed.success) return { ok: true, value: parsed.data, repairs: fixed.repairs };
      return {
        ok: false,
        problems: parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`),
      };
    };
    let read = readModelJson(result.text, accept);
    if (!read.ok && result.json !== undefined) {
      // Structured output the provider parsed itself (claude's structured_output) is the answer.
      const direct = accept(result.json);
      if (direct.ok) read = { ok: true, value: direct.value, repairs: direct.repairs ?? [] };
      else if (result.text.trim() === "")
        read = {
          ok: false,
          error: `the JSON does not match the schema: ${direct.problems.slice(0, 3).join("; ")}`,
          problems: direct.problems,
        };
    }
    if (read.ok) {
      if (read.repairs.length > 0) {
        this.options.log?.append({ type: "json-repaired", role, ...meta, repairs: read.repairs });
        this.options.emit?.({ type: "json-repaired", role, ...meta, repairs: read.repairs });
      }
      return { value: read.value, result, repairs: read.repairs };
    }
    const cutOff = result.finishReason === "length";
    throw new ModelOutputError(
      cutOff
        ? `the ${role}'s JSON answer was cut off at ${request.maxOutputTokens} output tokens (${read.error})`
        : `the ${role}'s answer is not usable: ${read.error}`,
      {
        expected: cutOff ? "complete JSON" : "JSON matching the schema",
        received: result.text || (result.json !== undefined ? JSON.stringify(result.json) : ""),
        details: { problems: read.problems.length > 0 ? read.problems : [read.error] },
      },
    );
  }

  private account(
    role: PipelineRole,
    meta: CallMeta,
    usage: Usage,
    latencyMs: number,
    outcome: UsageRecord["outcome"],
    subscriptionMessages: number,
  ): void {
    const { options } = this;
    const binding = this.bindingFor(role, meta);
    const cost = costOfCall(options.priceTable, {
      providerType: binding.provider.type,
      local: binding.provider.local,
      model: binding.model,
      usage,
      subscriptionMessages,
    });
    const usd = cost.priced ? cost.usd : undefined;
    const totals = this.totals[role];
    totals.calls += 1;
    totals.usage = addUsage(totals.usage, usage);
    totals.costUsd = totals.costUsd === undefined || usd === undefined ? undefined : totals.costUsd + usd;
    totals.subscriptionMessages += cost.subscriptionMessages;
    totals.latencyMs += latencyMs;
    const record: UsageRecord = {
      runId: options.runId,
      at: options.clock.now(),
      role,
      provider: binding.providerName,
      providerType: binding.provider.type,
      model: binding.model,
      ...usage,
      costUsd: usd,
      subscriptionMessages: cost.subscriptionMessages,
      latencyMs,
      outcome,
      ...meta,
    };
    options.ledger?.record(record);
    options.log?.append({ type: "usage", ...record });
    options.emit?.({
      type: "call-finished",
      role,
      model: binding.model,
      purpose: meta.purpose,
      ...unitOf(meta),
      usage,
      costUsd: usd,
      latencyMs,
      outcome,
    });
  }
}

function withHeadroom(request: CallRequest, headroom: number): CallRequest {
  if (headroom <= 0) return request;
  return {
    ...request,
    maxOutputTokens: request.maxOutputTokens + headroom,
    ...(request.numCtx ? { numCtx: request.numCtx + headroom } : {}),
  };
}

/**
 * Prompt tokens of a request as the model sees it: system text, cached context and messages,
 * each with ~8 tokens of chat-template overhead; the model's tokenizer when given.
 */
export function measurePrompt(request: GenerateRequest, counter?: TokenCounter): number {
  if (!counter) return estimatePromptTokens(request);
  const system = joinedSystemText(request);
  let total = system ? counter.count(system) + 8 : 0;
  for (const message of request.messages) total += counter.count(message.content) + 8;
  return total;
}

function unitOf(meta: CallMeta): { unitId?: string } {
  return meta.unitId ? { unitId: meta.unitId } : {};
}

export function isProviderFailure(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
