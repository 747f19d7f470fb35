/**
 * `hierocode run`: wiring (config → providers per role, token counter, repository view, prices,
 * host memory, state store, run log) and the run itself. No printing: the CLI shell renders the
 * result and asks the questions (escalation, apply) through callbacks.
 */

import { rmSync } from "node:fs";
import { join } from "node:path";
import { createDraftChecker } from "../checks/index.js";
import { SecretVault } from "../checks/redact.js";
import { resolveRole } from "../config/load.js";
import type { HierocodeConfig, PolicyConfig } from "../config/schema.js";
import type { PriceTable } from "../cost/price-table.js";
import { loadPriceTable } from "../cost/pricing-file.js";
import { readRepoFile, writeChangesAtomically } from "../edits/index.js";
import { ConfigError, ExitCode, HierocodeError, UsageError } from "../errors.js";
import { plannerMemoryFor } from "../memory/retrieve.js";
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
import type { Provider } from "../providers/spec.js";
import { buildRepoMap, packContext } from "../repo/index.js";
import { drafterCandidates } from "../routing/routing.js";
import { createRunRouter } from "../routing/run-router.js";
import { openStateDatabase } from "../store/database.js";
import { planCache } from "../store/plan-cache.js";
import {
  createRedactor,
  exactChangesFolder,
  findRunLog,
  ignoreLogFolder,
  newRunId,
  openRunLog,
  readExactChanges,
  readRunLog,
  recentRunIds,
  runLogDirectory,
} from "../store/run-log.js";
import { usageLedger } from "../store/usage-ledger.js";
import { readResources } from "../system/resources.js";
import { tokenCounterFor } from "../tokens/index.js";
import { droppedCandidatesWarning, preflight } from "./preflight.js";

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
  /**
   * The command's secrets (auth-looking env values, `policy.send_secret_files`): every prompt for
   * a remote model goes through it (ModelCaller), one vault per command so placeholders are stable.
   */
  vault: SecretVault;
}

/**
 * The reviewer's output cap in tokens: `policy.review_max_output_tokens` when set, else 100 for
 * the compact checkpoint (the hierarchical-orchestrator seed's "max 100 tokens") and 400 for the
 * full verdict (feedback and sub-units need room).
 */
export function reviewMaxOutputTokens(
  policy: Pick<PolicyConfig, "review_max_output_tokens" | "review_checkpoint">,
): number {
  return policy.review_max_output_tokens ?? (policy.review_checkpoint === "full" ? 400 : 100);
}

export function pipelinePolicy(policy: PolicyConfig, config: HierocodeConfig): PipelinePolicy {
  return {
    maxRevisions: policy.max_revisions_per_unit,
    maxEscalations: policy.max_escalations_per_task,
    warnBeforeEscalation: policy.warn_before_escalation,
    confidenceThreshold: policy.review_confidence_threshold,
    reviewMaxOutputTokens: reviewMaxOutputTokens(policy),
    reviewCheckpoint: policy.review_checkpoint,
    redirectBeforeEscalation: policy.redirect_before_escalation,
    redirectMaxOutputTokens: policy.redirect_max_output_tokens,
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
      ...(providerConfig.num_ctx ? { pinnedNumCtx: providerConfig.num_ctx } : {}),
    };
  }
  return { roles, reviewerInherited };
}

/**
 * The repository view: git-aware listing plus the ranked symbol map. A failing index (database
 * that cannot be opened, parser failure) is an error the user sees, never a silent fallback to a
 * bare file list the planner would plan from without knowing.
 */
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
      } catch (error) {
        if (error instanceof HierocodeError) throw error;
        throw new HierocodeError(
          "index_failed",
          `could not index the repository for the planner's map: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.internal,
          {
            hint: "run `hierocode repo symbols` to see the failure; deleting the index database (in the cache folder) rebuilds it",
            cause: error,
          },
        );
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

/**
 * The drafter's router candidates other than its own binding, for pre-flight; empty in
 * `router.mode: fixed` (nothing but the role's own model is used then).
 */
export function routerCandidates(
  config: HierocodeConfig,
  runtime: ProviderRuntime,
  drafter: RoleRuntime,
): Array<{ providerName: string; provider: Provider; model: string }> {
  if (config.router.mode === "fixed") return [];
  return drafterCandidates(config, runtime).filter(
    (item) => !(item.providerName === drafter.providerName && item.model === drafter.model),
  );
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
    vault: new SecretVault({ env, sendSecretFiles: config.policy.send_secret_files }),
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
  /** Check every role like `doctor` before the first paid call (default true). */
  preflight?: boolean;
  /**
   * The caller writes the accepted changes afterwards (`run --apply`): the log's `finished`
   * record is held back until `RunTaskOutcome.finish` is called after the writes, so a run
   * killed before or during its apply stays resumable.
   */
  deferFinish?: boolean;
}

export interface RunTaskOutcome {
  runId: string;
  logFile: string;
  result: PipelineResult;
  setup: PipelineSetup;
  /** Appends the held-back `finished` record (with `extra`, e.g. what was applied); idempotent. */
  finish(extra?: Record<string, unknown>): void;
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
    if (!found) {
      const folder = runLogDirectory({ repoRoot, location: config.logs.location, env });
      const recent = recentRunIds({ repoRoot, env, limit: 5 });
      throw new UsageError(`no log for run '${runId}' in ${folder}`, {
        hint:
          recent.length > 0
            ? `recent runs here, newest first: ${recent.join(", ")} (all: ls ${folder})`
            : 'no run has been logged in this repository yet; start one with hierocode run -t "…"',
      });
    }
    logFile = found;
    const exactFolder = exactChangesFolder(runId, env);
    const logged = resumeFromLog(readRunLog(found), runId, (number) => readExactChanges(exactFolder, number));
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
  // A run counts the drafter's tokens from its first draft on: build its tokenizer on a
  // background thread while the checks, probes, map and plan below run.
  setup.counter.prepare?.();
  // The repository's file listing (git, free and local) runs while pre-flight's requests are in
  // flight. The index is not warmed here: it cannot be stopped, and a run that fails pre-flight or
  // is interrupted must exit at once, not after indexing a large repository.
  if (options.preflight !== false) void setup.repo.warm?.();
  // Nothing is paid before every role has passed doctor's checks (issue 9).
  const checked =
    options.preflight === false
      ? undefined
      : await preflight({
          roles: setup.roles,
          candidates: routerCandidates(config, { env, ...(options.runtime ?? {}) }, setup.roles.drafter),
          ...(options.verifier ? { verifyRepoRoot: repoRoot } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
  const database = openStateDatabase(env);
  if (config.logs.location === "repo") ignoreLogFolder(repoRoot);
  const fileLog = openRunLog(logFile, {
    redact: createRedactor(env),
    exactFolder: exactChangesFolder(runId, env),
  });
  let heldFinish: Record<string, unknown> | undefined;
  const log = options.deferFinish
    ? {
        file: fileLog.file,
        append(record: Parameters<typeof fileLog.append>[0]) {
          if (record.type === "finished") heldFinish = record;
          else fileLog.append(record);
        },
      }
    : fileLog;
  // A finished run cannot be resumed: its exact changes are no longer needed.
  const dropExactChanges = () => rmSync(exactChangesFolder(runId, env), { recursive: true, force: true });
  const finish = (extra: Record<string, unknown> = {}) => {
    if (!heldFinish) return;
    fileLog.append({ ...heldFinish, ...extra, type: "finished" });
    heldFinish = undefined;
    dropExactChanges();
  };
  if (checked) {
    log.append({
      type: "preflight",
      elapsedMs: checked.elapsedMs,
      roles: checked.lines,
      ...(checked.dropped.size > 0 ? { droppedCandidates: Object.fromEntries(checked.dropped) } : {}),
    });
    for (const message of checked.warnings) options.emit?.({ type: "warning", message });
    const dropped = droppedCandidatesWarning(checked.dropped);
    if (dropped) options.emit?.({ type: "warning", message: dropped });
  }
  const checker = options.checker === null ? undefined : (options.checker ?? createDraftChecker());
  const router = createRunRouter({
    config,
    env,
    repoRoot,
    runId,
    task,
    drafter: setup.roles.drafter,
    memory: setup.memory,
    priceTable: setup.priceTable,
    runtime: { env, ...(options.runtime ?? {}) },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(checked ? { unavailable: checked.dropped } : {}),
  });
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
      vault: setup.vault,
      ...(await plannerMemoryFor({
        config,
        env,
        task,
        repoRoot,
        counter: setup.counter,
        ...(options.emit
          ? { onWarning: (message: string) => options.emit?.({ type: "warning", message }) }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })),
      ...(options.verifier ? { verifier: options.verifier } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(router.routeDrafter ? { routeDrafter: router.routeDrafter } : {}),
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
  if (!options.deferFinish) dropExactChanges();
  // The router learns from every run; a store that cannot be written never fails the run.
  try {
    router.recordOutcomes(result, database);
  } catch (error) {
    options.emit?.({
      type: "warning",
      message: `outcomes not logged: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  return { runId, logFile, result, setup, finish };
}

export type ApplyDecision = "yes" | "no" | "all" | "abort";

export interface ApplyOutcome {
  written: string[];
  /** Files that already held the accepted content (an earlier, interrupted apply wrote them). */
  alreadyWritten: string[];
  /** Declined by the user (or not reached after "abort"). */
  skipped: string[];
  /** Files whose content on disk changed since the run read them (never overwritten). */
  conflicts: string[];
  /** Files that may not be written at all (unsafe path, symlink out of the repository, binary), with the reason. */
  refused: Array<{ file: string; reason: string }>;
  /** Files held back because a unit they belong to depends on a file that could not be written. */
  heldBack: Array<{ file: string; units: string[]; because: string[] }>;
  aborted: boolean;
}

/** One accepted unit for the dependency closure: its id, the files it changed, its depends_on. */
export interface AppliedUnit {
  id: string;
  files: string[];
  dependsOn: string[];
}

/** True when `change` still needs writing; false when the disk already holds `after`. */
type DiskState = "before" | "after" | { conflict: true } | { refused: string };

function diskState(repoRoot: string, change: ChangedFile): DiskState {
  let current: string | null;
  try {
    current = readRepoFile(repoRoot, change.file);
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
  if (current === change.before) return "before";
  if (current === change.after) return "after";
  return { conflict: true };
}

/** Module specifiers a text imports (JS/TS `from "…"`/`require("…")`, Python `import`/`from … import`). */
function importedNames(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/(?:from\s+|require\(\s*|import\s*\(\s*|import\s+)["']([^"']+)["']/g))
    if (match[1]) names.push(match[1]);
  for (const match of text.matchAll(/^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))/gm)) {
    const name = match[1] ?? match[2];
    if (name) names.push(name);
  }
  return names;
}

/** Does `importer` (a changed file's new text) import the repository file `target`? */
function imports(importerFile: string, importerText: string, target: string): boolean {
  const stem = target.replace(/\.(?:[cm]?[jt]sx?|py)$/, "");
  const base = stem.split("/").at(-1) ?? stem;
  const dir = importerFile.includes("/") ? importerFile.slice(0, importerFile.lastIndexOf("/")) : "";
  for (const name of importedNames(importerText)) {
    if (name.startsWith(".")) {
      const joined = [...(dir ? dir.split("/") : []), ...name.split("/")];
      const parts: string[] = [];
      for (const part of joined) {
        if (part === "." || part === "") continue;
        if (part === "..") parts.pop();
        else parts.push(part);
      }
      const resolved = parts.join("/").replace(/\.(?:[cm]?[jt]sx?)$/, "");
      if (resolved === stem || resolved === `${stem}/index`) return true;
    } else if (name.replaceAll(".", "/") === stem || name.replaceAll(".", "/").endsWith(`/${stem}`)) {
      return true; // python dotted module
    } else if (name === base && !name.includes("/")) {
      return true; // python `import util` from the same folder
    }
  }
  return false;
}

/**
 * The files that must not be written because files in `blocked` cannot be: every unit touching a
 * blocked file is blocked, then (to a fixed point) units that depend on a blocked unit, units
 * whose new text imports a blocked file, and every unit sharing a file with a blocked unit.
 * Returns file → [blocked units touching it]. Units without an entry in `units` are ignored.
 */
export function heldBackFiles(
  blocked: Set<string>,
  units: AppliedUnit[],
  changes: ChangedFile[],
): Map<string, string[]> {
  const afterOf = new Map(changes.map((change) => [change.file, change.after ?? ""]));
  const blockedUnits = new Set<string>();
  const blockedFiles = new Set(blocked);
  for (let changed = true; changed; ) {
    changed = false;
    for (const unit of units) {
      if (blockedUnits.has(unit.id)) continue;
      const reason =
        unit.files.some((file) => blockedFiles.has(file)) ||
        unit.dependsOn.some((id) => blockedUnits.has(id)) ||
        unit.files.some((file) =>
          [...blockedFiles].some(
            (target) => target !== file && imports(file, afterOf.get(file) ?? "", target),
          ),
        );
      if (!reason) continue;
      blockedUnits.add(unit.id);
      for (const file of unit.files) blockedFiles.add(file);
      changed = true;
    }
  }
  const held = new Map<string, string[]>();
  for (const file of blockedFiles) {
    if (blocked.has(file)) continue;
    held.set(
      file,
      units.filter((unit) => blockedUnits.has(unit.id) && unit.files.includes(file)).map((unit) => unit.id),
    );
  }
  return held;
}

/** The accepted units of a run (top-level, with depends_on) in the shape `applyChanges` needs. */
export function appliedUnits(result: PipelineResult): AppliedUnit[] {
  const filesOf = new Map<string, Set<string>>();
  for (const unit of result.units) {
    if (unit.status !== "accepted" || unit.changes.length === 0) continue;
    filesOf.set(unit.id, new Set(unit.changes.map((change) => change.file)));
  }
  return result.plan.units
    .filter((unit) => filesOf.has(unit.id))
    .map((unit) => ({
      id: unit.id,
      files: [...(filesOf.get(unit.id) ?? [])],
      dependsOn: unit.depends_on ?? [],
    }));
}

/**
 * Writes accepted changes to the working tree, asking per file through `decide` (or not at all
 * when it is omitted, i.e. --yes). A file that changed on disk since the run read it is a
 * conflict and a file that may not be written is refused; either way it is not written, and
 * neither are the files of units that depend on it (`units`, see `heldBackFiles`). Files that
 * already hold the accepted content (an interrupted earlier apply) count as already written.
 * Everything chosen is written as one journalled, all-or-nothing set (`writeChangesAtomically`).
 */
export async function applyChanges(
  repoRoot: string,
  changes: ChangedFile[],
  decide?: (change: ChangedFile) => Promise<ApplyDecision>,
  options: { units?: AppliedUnit[]; env?: Env } = {},
): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = {
    written: [],
    alreadyWritten: [],
    skipped: [],
    conflicts: [],
    refused: [],
    heldBack: [],
    aborted: false,
  };
  const pending: ChangedFile[] = [];
  const blocked = new Set<string>();
  for (const change of changes) {
    const state = diskState(repoRoot, change);
    if (state === "after") outcome.alreadyWritten.push(change.file);
    else if (state === "before") pending.push(change);
    else if ("refused" in state) {
      outcome.refused.push({ file: change.file, reason: state.refused });
      blocked.add(change.file);
    } else {
      outcome.conflicts.push(change.file);
      blocked.add(change.file);
    }
  }
  const held = blocked.size > 0 ? heldBackFiles(blocked, options.units ?? [], changes) : new Map();
  for (const [file, units] of held) {
    if (!pending.some((change) => change.file === file)) continue;
    outcome.heldBack.push({ file, units, because: [...blocked] });
  }
  const chosen: ChangedFile[] = [];
  let all = decide === undefined;
  const candidates = pending.filter((change) => !held.has(change.file));
  for (const change of candidates) {
    if (!all && decide) {
      const answer = await decide(change);
      if (answer === "abort") {
        outcome.aborted = true;
        outcome.skipped.push(...candidates.slice(candidates.indexOf(change)).map((item) => item.file));
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
    writeChangesAtomically(repoRoot, chosen, options.env ? { env: options.env } : {});
    outcome.written.push(...chosen.map((change) => change.file));
  } else if (outcome.aborted) {
    outcome.skipped.push(...chosen.map((change) => change.file));
  }
  return outcome;
}

/** Accepted changes that were meant to be written but were not (conflict, refusal, held back). */
export function unwrittenCount(outcome: ApplyOutcome): number {
  return outcome.conflicts.length + outcome.refused.length + outcome.heldBack.length;
}
