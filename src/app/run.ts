/**
 * `hierocode run`: wiring (config → providers per role, token counter, repository view, prices,
 * host memory, state store, run log) and the run itself. No printing: the CLI shell renders the
 * result and asks the questions (escalation, apply) through callbacks.
 */

import { join } from "node:path";
import { createDraftChecker } from "../checks/index.js";
import { SecretVault } from "../checks/redact.js";
import { resolveRole } from "../config/load.js";
import type { HierocodeConfig, PolicyConfig } from "../config/schema.js";
import type { PriceTable } from "../cost/price-table.js";
import { loadPriceTable } from "../cost/pricing-file.js";
import { readRepoFile, writeChangesAtomically } from "../edits/index.js";
import { ConfigError, UsageError } from "../errors.js";
import type { HostMemory } from "../pipeline/capacity.js";
import { defaultEditEngine } from "../pipeline/edit-engine.js";
import type { EventSink, PipelineRole } from "../pipeline/events.js";
import type { ChangedFile, DraftChecker, Verifier } from "../pipeline/hooks.js";
import type { RoleRuntime } from "../pipeline/model-call.js";
import type { PipelinePolicy } from "../pipeline/pipeline.js";
import { type PipelineResult, type ResumeState, runPipeline } from "../pipeline/pipeline.js";
import type { Confirm, ContextPacker, RepoAccess, TokenCounter } from "../pipeline/ports.js";
import { basicRepoAccess } from "../pipeline/repo-fallback.js";
import { resumeFromLog } from "../pipeline/resume.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import { buildRepoMap, packContext } from "../repo/index.js";
import { openStateDatabase } from "../store/database.js";
import { planCache } from "../store/plan-cache.js";
import {
  createRedactor,
  findRunLog,
  ignoreLogFolder,
  newRunId,
  openRunLog,
  readRunLog,
  runLogDirectory,
} from "../store/run-log.js";
import { usageLedger } from "../store/usage-ledger.js";
import { readResources } from "../system/resources.js";
import { tokenCounterFor } from "../tokens/index.js";

type Env = Record<string, string | undefined>;

export interface SetupInput {
  config: HierocodeConfig;
  env: Env;
  repoRoot: string;
  /** Injectable fetch/sleep (tests). */
  runtime?: Partial<ProviderRuntime>;
}

export interface PipelineSetup {
  roles: Record<PipelineRole, RoleRuntime>;
  counter: TokenCounter;
  repo: RepoAccess;
  priceTable: PriceTable;
  pricingFile?: string;
  memory: HostMemory;
  policy: PipelinePolicy;
  workers: { local: number; remote: number };
  /** The reviewer inherited the planner's binding (routing.reviewer unset). */
  reviewerInherited: boolean;
  packer: ContextPacker;
}

export function pipelinePolicy(policy: PolicyConfig, config: HierocodeConfig): PipelinePolicy {
  return {
    maxRevisions: policy.max_revisions_per_unit,
    maxEscalations: policy.max_escalations_per_task,
    warnBeforeEscalation: policy.warn_before_escalation,
    confidenceThreshold: policy.review_confidence_threshold,
    reviewMaxOutputTokens: policy.review_max_output_tokens,
    maxUnits: policy.max_units_per_task,
    maxSplitDepth: policy.max_split_depth,
    maxEditRetries: policy.max_edit_retries,
    maxVerifyRounds: config.policy.max_verify_rounds,
  };
}

export function roleRuntimes(
  config: HierocodeConfig,
  runtime: ProviderRuntime,
): { roles: Record<PipelineRole, RoleRuntime>; reviewerInherited: boolean } {
  const built = new Map<string, RoleRuntime["provider"]>();
  const roles = {} as Record<PipelineRole, RoleRuntime>;
  let reviewerInherited = false;
  for (const role of ["planner", "drafter", "reviewer"] as const) {
    const binding = resolveRole(config, role);
    if (!binding) {
      throw new ConfigError(`no ${role} is configured (routing.${role})`, [], {
        hint: "run `hierocode init --wizard`, or `hierocode models set " + role + " <model> -p <provider>`",
      });
    }
    const providerConfig = config.providers[binding.provider];
    if (!providerConfig)
      throw new ConfigError(`routing.${role}.provider: '${binding.provider}' is not defined under providers`);
    let provider = built.get(binding.provider);
    if (!provider) {
      provider = createProvider(binding.provider, providerConfig, runtime);
      built.set(binding.provider, provider);
    }
    if (role === "reviewer") reviewerInherited = binding.inherited;
    roles[role] = {
      providerName: binding.provider,
      provider,
      model: binding.model,
      ...(binding.exploration ? { exploration: binding.exploration } : {}),
    };
  }
  return { roles, reviewerInherited };
}

/** The repository view: git-aware listing plus the ranked symbol map (basic list if indexing fails). */
export function repoAccessFor(repoRoot: string, env: Env): RepoAccess {
  const basic = basicRepoAccess(repoRoot);
  return {
    ...basic,
    async buildSkeleton({ tokens, task, counter }) {
      try {
        // The run logs live in the repo (.haco/logs); they must not enter the planner's view or the cache key.
        const map = await buildRepoMap({
          repoRoot,
          tokens,
          task,
          counter,
          index: { env, exclude: [".haco/"] },
        });
        return { text: map.text, tokens: map.tokens, files: map.files };
      } catch {
        return basic.buildSkeleton({ tokens, task, counter });
      }
    },
  };
}

/** src/repo's symbol-aware packer: large targets are cut to the relevant symbols, with notes. */
export function repoPacker(repoRoot: string): ContextPacker {
  return {
    async pack(request) {
      const packed = await packContext({ repoRoot, ...request });
      return { blocks: packed.blocks, fits: packed.fits, notes: packed.notes, usedTokens: packed.usedTokens };
    },
  };
}

export function setupPipeline(input: SetupInput): PipelineSetup {
  const { config, env } = input;
  const runtime: ProviderRuntime = { env, ...(input.runtime ?? {}) };
  const { roles, reviewerInherited } = roleRuntimes(config, runtime);
  const counter = tokenCounterFor(roles.drafter.model);
  const prices = loadPriceTable({
    env,
    ...(config.pricing_file ? { pricingFile: config.pricing_file } : {}),
  });
  const resources = readResources(env);
  return {
    roles,
    counter,
    repo: repoAccessFor(input.repoRoot, env),
    priceTable: prices.table,
    ...(prices.file ? { pricingFile: prices.file } : {}),
    memory: {
      totalRamBytes: resources.totalRamBytes,
      vramBytes: Math.max(0, ...resources.gpus.map((gpu) => gpu.vramBytes)),
    },
    policy: pipelinePolicy(config.policy, config),
    workers: {
      local: config.parallelization.max_local_workers,
      remote: config.parallelization.max_remote_workers,
    },
    reviewerInherited,
    packer: repoPacker(input.repoRoot),
  };
}

export interface RunTaskOptions extends SetupInput {
  task?: string;
  /** Continue the run with this id from its log. */
  resumeRunId?: string;
  refreshPlan?: boolean;
  numCtx?: number;
  confirm?: Confirm;
  emit?: EventSink;
  signal?: AbortSignal;
  /** Runs the project's tests after the units (see src/verify). */
  verifier?: Verifier;
  /** Deterministic draft checks; the built-in set by default, null to turn them off. */
  checker?: DraftChecker | null;
}

export interface RunTaskOutcome {
  runId: string;
  logFile: string;
  result: PipelineResult;
  setup: PipelineSetup;
}

export async function runTask(options: RunTaskOptions): Promise<RunTaskOutcome> {
  const { env, repoRoot, config } = options;
  let runId: string;
  let logFile: string;
  let task: string;
  let resume: ResumeState | undefined;
  if (options.resumeRunId) {
    runId = options.resumeRunId;
    const found = findRunLog({ repoRoot, runId, env });
    if (!found)
      throw new UsageError(
        `no log for run '${runId}' in ${runLogDirectory({ repoRoot, location: config.logs.location, env })}`,
      );
    logFile = found;
    const logged = resumeFromLog(readRunLog(found), runId);
    if (logged.finished) throw new UsageError(`run '${runId}' already finished; nothing to resume`);
    task = logged.task;
    resume = logged.resume;
  } else {
    if (!options.task?.trim()) throw new UsageError('a task is required (-t "…")');
    task = options.task.trim();
    runId = newRunId();
    logFile = join(runLogDirectory({ repoRoot, location: config.logs.location, env }), `${runId}.jsonl`);
  }
  const setup = setupPipeline(options);
  const database = openStateDatabase(env);
  if (config.logs.location === "repo") ignoreLogFolder(repoRoot);
  const log = openRunLog(logFile, { redact: createRedactor(env) });
  const checker = options.checker === null ? undefined : (options.checker ?? createDraftChecker());
  const result = await runPipeline(
    {
      roles: setup.roles,
      repo: setup.repo,
      counter: setup.counter,
      edits: defaultEditEngine,
      priceTable: setup.priceTable,
      memory: setup.memory,
      planCache: planCache(database),
      ledger: usageLedger(database),
      log,
      ...(options.emit ? { emit: options.emit } : {}),
      ...(options.confirm ? { confirm: options.confirm } : {}),
      ...(checker ? { checker } : {}),
      packer: setup.packer,
      vault: new SecretVault({ env, sendSecretFiles: config.policy.send_secret_files }),
      ...(options.verifier ? { verifier: options.verifier } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
    {
      runId,
      task,
      policy: setup.policy,
      workers: setup.workers,
      ...(options.refreshPlan ? { refreshPlan: true } : {}),
      ...(options.numCtx ? { numCtx: options.numCtx } : {}),
      ...(resume ? { resume } : {}),
    },
  );
  return { runId, logFile, result, setup };
}

export type ApplyDecision = "yes" | "no" | "all" | "abort";

export interface ApplyOutcome {
  written: string[];
  skipped: string[];
  /** Files whose content on disk changed since the run read them (never overwritten). */
  conflicts: string[];
  aborted: boolean;
}

/**
 * Writes accepted changes to the working tree, asking per file through `decide` (or not at all
 * when it is omitted, i.e. --yes). A file that changed on disk since the run read it is skipped.
 */
export async function applyChanges(
  repoRoot: string,
  changes: ChangedFile[],
  decide?: (change: ChangedFile) => Promise<ApplyDecision>,
): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { written: [], skipped: [], conflicts: [], aborted: false };
  const chosen: ChangedFile[] = [];
  let all = decide === undefined;
  for (const change of changes) {
    let current: string | null | undefined;
    try {
      current = readRepoFile(repoRoot, change.file);
    } catch {
      current = undefined; // unreadable now (binary, unsafe path): never overwrite it
    }
    if (current !== change.before) {
      outcome.conflicts.push(change.file);
      continue;
    }
    if (!all && decide) {
      const answer = await decide(change);
      if (answer === "abort") {
        outcome.aborted = true;
        outcome.skipped.push(...changes.slice(changes.indexOf(change)).map((item) => item.file));
        break;
      }
      if (answer === "no") {
        outcome.skipped.push(change.file);
        continue;
      }
      if (answer === "all") all = true;
    }
    chosen.push(change);
  }
  if (chosen.length > 0 && !outcome.aborted) {
    writeChangesAtomically(repoRoot, chosen);
    outcome.written.push(...chosen.map((change) => change.file));
  } else if (outcome.aborted) {
    outcome.skipped.push(...chosen.map((change) => change.file));
  }
  return outcome;
}
