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
import { AbortError, isAbortLike, ModelOutputError, ProviderError } from "../errors.js";
import { extractJson } from "../providers/json-output.js";
import {
  addUsage,
  emptyUsage,
  type GenerateRequest,
  type GenerateResult,
  type Provider,
  type Usage,
} from "../providers/spec.js";
import type { EventSink, PipelineRole } from "./events.js";
import type { Clock, RunLogSink, UsageRecord, UsageSink } from "./ports.js";

export interface RoleRuntime {
  /** Configured provider name (the key under `providers`). */
  providerName: string;
  provider: Provider;
  model: string;
  exploration?: "passive" | "active";
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

  async call(role: PipelineRole, original: CallRequest, meta: CallMeta): Promise<GenerateResult> {
    const { options } = this;
    if (options.signal?.aborted) throw new AbortError();
    const binding = options.roles[role];
    const remote = !binding.provider.local;
    const request = remote ? this.redactRequest(role, original, meta) : original;
    const full: GenerateRequest = {
      ...request,
      model: binding.model,
      cwd: options.repoRoot,
      ...(binding.exploration ? { exploration: binding.exploration } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs && request.timeoutMs === undefined ? { timeoutMs: options.timeoutMs } : {}),
    };
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
      maxOutputTokens: request.maxOutputTokens,
      ...(request.numCtx ? { numCtx: request.numCtx } : {}),
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
    const outcome = result.finishReason === "length" ? "truncated" : "ok";
    this.account(role, meta, result.usage, result.latencyMs, outcome, result.subscriptionMessages);
    options.log?.append({
      type: "reply",
      role,
      ...meta,
      text: result.text,
      ...(result.json !== undefined ? { json: result.json } : {}),
      finishReason: result.finishReason,
      usage: result.usage,
      latencyMs: result.latencyMs,
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

  /** A structured call: schema-constrained where the provider can, validated here either way. */
  async callJson<T>(
    role: PipelineRole,
    request: CallRequest,
    schema: ZodType<T>,
    meta: CallMeta,
  ): Promise<{ value: T; result: GenerateResult }> {
    const result = await this.call(role, request, meta);
    if (result.finishReason === "length") {
      throw new ModelOutputError(
        `the ${role}'s JSON answer was cut off at ${request.maxOutputTokens} output tokens`,
        {
          expected: "complete JSON",
          received: result.text,
        },
      );
    }
    let raw = result.json;
    if (raw === undefined) {
      const extracted = extractJson(result.text);
      if (!extracted.ok) {
        throw new ModelOutputError(`the ${role} did not answer with JSON: ${extracted.error}`, {
          expected: "JSON",
          received: result.text,
        });
      }
      raw = extracted.value;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
      );
      throw new ModelOutputError(
        `the ${role}'s JSON does not match the schema: ${problems.slice(0, 3).join("; ")}`,
        {
          expected: "JSON matching the schema",
          received: result.text || JSON.stringify(raw),
          details: { problems },
        },
      );
    }
    return { value: parsed.data, result };
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
    const binding = options.roles[role];
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

function unitOf(meta: CallMeta): { unitId?: string } {
  return meta.unitId ? { unitId: meta.unitId } : {};
}

export function isProviderFailure(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
