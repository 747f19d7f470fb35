/**
 * The router inside a run: picks each unit's drafter (router.mode matrix or learned), logs every
 * decision, and at the end of the run writes one outcome per unit to the user-level store (and
 * keeps accepted, verified units as adaptive evaluation tasks: src/eval/adaptive.ts).
 * In `fixed` mode (or without candidates) it only scores each unit for the live view — the role's
 * own model drafts every unit, as before routing existed — and logs outcomes.
 */

import { fallbackCost } from "../app/route.js";
import { createRedactor } from "../checks/redact.js";
import type { HierocodeConfig } from "../config/schema.js";
import type { PriceTable } from "../cost/price-table.js";
import { captureAdaptiveTasks } from "../eval/adaptive.js";
import type { HostMemory } from "../pipeline/capacity.js";
import type { RoleRuntime } from "../pipeline/model-call.js";
import type { PipelineResult } from "../pipeline/pipeline-types.js";
import type { PlanUnit } from "../pipeline/plan-schema.js";
import type { DrafterChoice, DrafterRouter } from "../pipeline/unit-types.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import type { Database } from "../store/database.js";
import { estimateTokens } from "../tokens/heuristic.js";
import { type ComplexityScore, type UnitKind, unitKindOf } from "./complexity.js";
import { openLearningDatabase, outcomeStore } from "./outcome-store.js";
import { type RouteCandidate, type RouteDecision, route } from "./router.js";
import {
  drafterCandidates,
  fileTokens,
  loadEvidence,
  type ProbedCandidate,
  probeCandidates,
  repoHasTests,
  routeCandidates,
  routerSettings,
  scoreUnit,
} from "./routing.js";

type Env = Record<string, string | undefined>;

/** Prompt overhead of a drafting call besides the unit's files (system prompt, format rules, goal). */
const draftOverhead = 600;

export interface RunRouterInput {
  config: HierocodeConfig;
  env: Env;
  repoRoot: string;
  runId: string;
  task: string;
  drafter: RoleRuntime;
  memory: HostMemory;
  priceTable: PriceTable;
  runtime: ProviderRuntime;
  signal?: AbortSignal;
  now?: () => number;
  /**
   * Candidates pre-flight found unusable (`provider/model` → why): never probed, never chosen,
   * shown as excluded in the logged decision.
   */
  unavailable?: ReadonlyMap<string, string>;
}

interface Routed {
  score: ComplexityScore;
  kind: UnitKind;
  decision?: RouteDecision;
  candidates: RouteCandidate[];
  fallbackCost: number;
}

export interface RunRouter {
  /**
   * For PipelineDeps.routeDrafter: every unit's complexity and drafter (for the live view); a
   * binding only in matrix/learned mode when a candidate other than the role's own model is chosen.
   */
  routeDrafter?: DrafterRouter;
  /** Writes the decisions and one outcome per drafted unit; returns how many outcomes were written. */
  recordOutcomes(result: PipelineResult, stateDatabase: Database): number;
}

export function createRunRouter(input: RunRouterInput): RunRouter {
  const { config } = input;
  const now = input.now ?? Date.now;
  const testsPresent = repoHasTests(input.repoRoot);
  const routed = new Map<string, Routed>();
  const choices = new Map<string, DrafterChoice>();
  let probed: Promise<ProbedCandidate[]> | undefined;
  const probe = () => {
    probed ??= (async () => {
      const list = drafterCandidates(config, input.runtime).map((item) =>
        item.providerName === input.drafter.providerName && item.model === input.drafter.model
          ? { ...item, provider: input.drafter.provider }
          : item,
      );
      const dropped = (item: { providerName: string; model: string }, index: number) =>
        index > 0 ? input.unavailable?.get(`${item.providerName}/${item.model}`) : undefined;
      // Candidates pre-flight found unreachable are not probed again (a down server's probe
      // would only wait for its timeout).
      const usable = list.filter((item, index) => dropped(item, index) === undefined);
      const profiles = await probeCandidates(usable, {
        config,
        memory: input.memory,
        ...(input.signal ? { signal: input.signal } : {}),
      });
      return list.map((item, index): ProbedCandidate => {
        const why = dropped(item, index);
        if (why !== undefined) return { ...item, unavailable: why };
        return profiles[usable.indexOf(item)] ?? item;
      });
    })();
    return probed;
  };
  /**
   * Tokens of the unit's drafting prompt for the guards: the prompt overhead, the goal, and the
   * larger of the planner's estimate and the existing targets' size on disk (the targets must be
   * in the prompt; the planner's number is a model's guess).
   */
  const promptTokensOf = (unit: PlanUnit) => {
    const targets = unit.target_files
      .filter((file) => !unit.new_files.includes(file))
      .reduce((sum, file) => sum + (fileTokens(input.repoRoot, file) ?? 0), 0);
    return draftOverhead + estimateTokens(unit.goal) + Math.max(Math.max(0, unit.est_input_tokens), targets);
  };
  const settingsFor = (promptTokens: number, candidates: RouteCandidate[]) =>
    routerSettings(config, fallbackCost(config, input.runtime, promptTokens, input.priceTable, candidates));

  const routing = config.router.mode !== "fixed" && (config.routing.drafter?.candidates ?? []).length > 0;
  /**
   * A split's parts (`u1.1`, `u1.2`, … run inside their parent's dispatch slot) stay on the same
   * kind of model as the parent — local or remote — so the worker limit of that slot's lane
   * holds: a part routed to a local model while its parent holds a remote slot would be a local
   * call no local limit counted.
   */
  const sameLaneAsParent = (unitId: string, candidates: RouteCandidate[]): RouteCandidate[] => {
    const dot = unitId.lastIndexOf(".");
    const parent = dot > 0 ? choices.get(unitId.slice(0, dot)) : undefined;
    if (!parent) return candidates;
    const local = (parent.binding ?? input.drafter).provider.local;
    return candidates.map((candidate) =>
      candidate.local === local || candidate.unavailable
        ? candidate
        : {
            ...candidate,
            unavailable: `a part of split unit ${unitId.slice(0, dot)} stays on a ${local ? "local" : "remote"} model like it (worker limits)`,
          },
    );
  };
  const routeDrafter: DrafterRouter = async (unit: PlanUnit) => {
    const cached = choices.get(unit.id);
    if (cached) return cached;
    const score = scoreUnit(input.repoRoot, unit, testsPresent);
    const kind = unitKindOf(unit);
    const own = {
      complexity: score.score,
      band: score.band,
      kind,
      provider: input.drafter.providerName,
      model: input.drafter.model,
    };
    if (!routing) {
      const choice: DrafterChoice = {
        info: {
          ...own,
          mode: config.router.mode,
          reason:
            config.router.mode === "fixed"
              ? "router.mode fixed: the role's own model"
              : "no routing.drafter.candidates: the role's own model",
        },
      };
      choices.set(unit.id, choice);
      return choice;
    }
    const list = await probe();
    const promptTokens = promptTokensOf(unit);
    const candidates = sameLaneAsParent(unit.id, routeCandidates(list, promptTokens, input.priceTable));
    const settings = settingsFor(promptTokens, candidates);
    const decision = route(
      { id: unit.id, complexity: score, kind, promptTokens, files: unit.target_files.length },
      candidates,
      settings,
      config.router.mode === "learned" ? loadEvidence(input.env, config, now()) : new Map(),
      input.runId,
    );
    routed.set(unit.id, { score, kind, decision, candidates, fallbackCost: settings.fallbackCost });
    const index = candidates.indexOf(decision.chosen);
    const chosen = list[index];
    const info = {
      ...own,
      provider: decision.chosen.provider,
      model: decision.chosen.model,
      mode: decision.mode,
      reason: decision.reason,
    };
    const choice: DrafterChoice =
      !chosen?.profile || index === 0
        ? { info }
        : {
            binding: {
              providerName: chosen.providerName,
              provider: chosen.provider,
              model: chosen.model,
              ...(config.providers[chosen.providerName]?.num_ctx
                ? { pinnedNumCtx: config.providers[chosen.providerName]?.num_ctx as number }
                : {}),
            },
            profile: chosen.profile,
            info,
          };
    choices.set(unit.id, choice);
    return choice;
  };

  return {
    ...(config.routing.drafter ? { routeDrafter } : {}),
    recordOutcomes(result, stateDatabase) {
      const store = outcomeStore(openLearningDatabase(input.env));
      const redact = createRedactor(input.env);
      const usage = stateDatabase
        .prepare(
          `SELECT unit_id, role, provider, model, SUM(input_tokens + cache_read_tokens + cache_write_tokens) AS input,
             SUM(output_tokens) AS output, SUM(latency_ms) AS ms, SUM(cost_usd) AS usd, SUM(subscription_messages) AS messages
           FROM usage_ledger WHERE run_id = ? AND unit_id IS NOT NULL GROUP BY unit_id, role, provider, model`,
        )
        .all(input.runId) as Array<{
        unit_id: string;
        role: string;
        provider: string;
        model: string;
        input: number;
        output: number;
        ms: number;
        usd: number | null;
        messages: number;
      }>;
      const units = new Map(result.plan.units.map((unit) => [unit.id, unit]));
      const verification = result.verification;
      const status = (outcome: { ok: boolean } | undefined) =>
        outcome === undefined ? undefined : outcome.ok ? "pass" : "fail";
      let written = 0;
      for (const unitResult of result.units) {
        if (unitResult.author === "split" || unitResult.status === "skipped") continue;
        const planned: PlanUnit = units.get(unitResult.id) ?? {
          id: unitResult.id,
          goal: unitResult.goal,
          target_files: unitResult.changes.map((change) => change.file),
          new_files: unitResult.changes
            .filter((change) => change.before === null)
            .map((change) => change.file),
          context_files: [],
          acceptance: [],
          depends_on: [],
          est_input_tokens: 0,
          complexity: 0,
        };
        const rows = usage.filter((row) => row.unit_id === unitResult.id);
        const drafterRow = rows.find((row) => row.role === "drafter");
        if (!drafterRow && unitResult.author !== "planner") continue; // never reached a model
        let info = routed.get(unitResult.id);
        if (!info) {
          const promptTokens = promptTokensOf(planned);
          const candidates = routeCandidates(
            [
              {
                providerName: input.drafter.providerName,
                model: input.drafter.model,
                provider: input.drafter.provider,
                profile: result.profile,
              },
            ],
            promptTokens,
            input.priceTable,
          );
          info = {
            score: scoreUnit(input.repoRoot, planned, testsPresent),
            kind: unitKindOf(planned),
            candidates,
            fallbackCost: settingsFor(promptTokens, candidates).fallbackCost,
          };
        }
        const provider = drafterRow?.provider ?? input.drafter.providerName;
        const model = drafterRow?.model ?? input.drafter.model;
        const at = now();
        const decision = info.decision;
        const propensity = decision ? decision.propensity : 1;
        store.recordDecision({
          runId: input.runId,
          unitId: unitResult.id,
          at,
          project: input.repoRoot,
          mode: decision?.mode ?? "fixed",
          cell: `${info.score.band}/${info.kind}`,
          complexity: info.score.score,
          features: info.score.features,
          unit: {
            id: unitResult.id,
            complexity: info.score,
            kind: info.kind,
            promptTokens: promptTokensOf(planned),
            files: planned.target_files.length,
          },
          candidates: {
            list: info.candidates,
            fallbackCost: info.fallbackCost,
            ...(decision ? { assessments: decision.candidates } : {}),
          },
          provider: decision?.chosen.provider ?? provider,
          model: decision?.chosen.model ?? model,
          propensity,
          reason: decision?.reason ?? "router.mode fixed: the role's own model",
        });
        const sum = (key: "input" | "output" | "ms" | "messages") =>
          rows.reduce((total, row) => total + Number(row[key] ?? 0), 0);
        const usd = rows.some((row) => row.usd === null)
          ? undefined
          : rows.reduce((total, row) => total + Number(row.usd ?? 0), 0);
        const autoSuccess =
          unitResult.status === "accepted" &&
          unitResult.author === "drafter" &&
          !unitResult.escalated &&
          unitResult.verified !== false;
        store.recordOutcome({
          runId: input.runId,
          unitId: unitResult.id,
          at,
          project: input.repoRoot,
          task: redact(input.task),
          goal: redact(unitResult.goal),
          band: info.score.band,
          kind: info.kind,
          complexity: info.score.score,
          provider,
          model,
          status: unitResult.status,
          autoSuccess,
          verdicts: unitResult.verdicts.length,
          revisions: unitResult.revisions,
          escalated: unitResult.escalated,
          editFailures: unitResult.editRetries,
          ...(verification ? { verifyBefore: status(verification.baseline) ?? "none" } : {}),
          ...(verification?.final ? { verifyAfter: status(verification.final) ?? "none" } : {}),
          inputTokens: sum("input"),
          outputTokens: sum("output"),
          seconds: sum("ms") / 1000,
          ...(usd !== undefined ? { costUsd: usd } : {}),
          messages: sum("messages"),
        });
        written++;
      }
      // Accepted, verified units become adaptive evaluation tasks (src/eval/adaptive.ts).
      try {
        captureAdaptiveTasks({ env: input.env, config, repoRoot: input.repoRoot, result, now: now() });
      } catch (error) {
        throw new Error(
          `adaptive tasks not kept (${written} outcomes were logged): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      return written;
    },
  };
}
