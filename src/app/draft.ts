/**
 * `hierocode draft -t … --file F`: one drafter call for one file, through the same packing,
 * edit format choice and edit engine as `run` (no review loop). Returns the diff; writes nothing.
 */
import { isSecretFileName } from "../checks/secret-scan.js";
import { UsageError } from "../errors.js";
import { probeCapacity } from "../pipeline/capacity.js";
import { type DraftOutcome, draftUnit } from "../pipeline/draft.js";
import { defaultEditEngine } from "../pipeline/edit-engine.js";
import type { EventSink, PipelineRole } from "../pipeline/events.js";
import { ModelCaller, type RoleTotals } from "../pipeline/model-call.js";
import type { PlanUnit } from "../pipeline/plan-schema.js";
import { normalizeRepoPath } from "../pipeline/plan-validation.js";
import { type ContextPacker, systemClock } from "../pipeline/ports.js";
import { fixRunContexts } from "../pipeline/prepare-plan.js";
import { openStateDatabase } from "../store/database.js";
import { newRunId } from "../store/run-log.js";
import { usageLedger } from "../store/usage-ledger.js";
import { type SetupInput, setupPipeline } from "./run.js";

export interface SingleFileOptions extends SetupInput {
  task: string;
  file: string;
  emit?: EventSink;
  signal?: AbortSignal;
  /** Files shown to the drafter as context (repo-relative; packed while they fit). */
  contextFiles?: string[];
  /** Acceptance criteria for the draft (default: the task itself). */
  acceptance?: string[];
}

export function singleFileUnit(
  task: string,
  file: string,
  exists: boolean,
  extra: { contextFiles?: string[]; acceptance?: string[] } = {},
): PlanUnit {
  return {
    id: "file",
    goal: task,
    target_files: [file],
    new_files: exists ? [] : [file],
    context_files: (extra.contextFiles ?? []).filter((path) => path !== file),
    acceptance: extra.acceptance && extra.acceptance.length > 0 ? extra.acceptance : [task],
    depends_on: [],
    est_input_tokens: 0,
    complexity: 0,
  };
}

export function checkedFile(file: string): string {
  const path = normalizeRepoPath(file);
  if (!path) throw new UsageError(`--file: '${file}' is outside the repository`);
  return path;
}

/**
 * Refuses, before anything is paid, to send a secrets file (`.env`, a private key, a keystore:
 * secret-scan.ts `isSecretFileName`) to a remote model as the one file of `draft`/`review`: the
 * vault would withhold its content, so the call would be paid for "(content withheld…)".
 * `policy.send_secret_files: true` allows it; a local model may read the user's own files.
 * @throws UsageError (exit 2) naming the config key.
 */
export function refuseRemoteSecretFile(
  file: string,
  role: "drafter" | "reviewer",
  binding: { provider: { local: boolean; name: string } },
  config: { policy: { send_secret_files: boolean } },
): void {
  if (binding.provider.local || config.policy.send_secret_files || !isSecretFileName(file)) return;
  throw new UsageError(
    `--file: ${file} is a secrets file and the ${role} (${binding.provider.name}) is a remote model; nothing was sent`,
    {
      hint: `use a local ${role} (routing.${role}), or set policy.send_secret_files: true to allow sending secrets files to remote models`,
    },
  );
}

export interface DraftFileOutcome {
  file: string;
  outcome: DraftOutcome;
  totals: Record<PipelineRole, RoleTotals>;
  /** What the packer put in the drafter's window: files shown (whole or in part) and its notes. */
  packed?: { files: string[]; notes: string[] };
}

/** The model caller of a one-off `draft` / `review`: ledger on, no run log. */
export function singleCallCaller(
  options: SingleFileOptions,
  setup: ReturnType<typeof setupPipeline>,
): ModelCaller {
  return new ModelCaller({
    runId: newRunId(),
    roles: setup.roles,
    repoRoot: options.repoRoot,
    priceTable: setup.priceTable,
    clock: systemClock,
    ledger: usageLedger(openStateDatabase(options.env)),
    vault: setup.vault,
    ...(options.emit ? { emit: options.emit } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

export async function draftFile(options: SingleFileOptions): Promise<DraftFileOutcome> {
  const setup = setupPipeline(options);
  const file = checkedFile(options.file);
  refuseRemoteSecretFile(file, "drafter", setup.roles.drafter, options.config);
  const caller = singleCallCaller(options, setup);
  const profile = await probeCapacity(setup.roles.drafter.provider, setup.roles.drafter.model, {
    memory: setup.memory,
    exactTokens: setup.counter.exact,
    ...(setup.roles.drafter.pinnedNumCtx ? { numCtxOverride: setup.roles.drafter.pinnedNumCtx } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // One num_ctx per Ollama model, and every prompt measured against it before sending.
  await fixRunContexts({ ...setup, ...(options.signal ? { signal: options.signal } : {}) }, caller, profile);
  const exists = setup.repo.readFile(file) !== null;
  let packed: DraftFileOutcome["packed"];
  const packer: ContextPacker = {
    async pack(request) {
      const result = await setup.packer.pack(request);
      packed = { files: [...new Set(result.blocks.map((block) => block.file))], notes: result.notes };
      return result;
    },
  };
  const outcome = await draftUnit(
    {
      task: options.task,
      profile,
      counter: setup.counter,
      caller,
      edits: defaultEditEngine,
      read: setup.repo.readFile,
      maxEditRetries: 0,
      packer,
    },
    singleFileUnit(options.task, file, exists, {
      ...(options.contextFiles ? { contextFiles: options.contextFiles.map(checkedFile) } : {}),
      ...(options.acceptance ? { acceptance: options.acceptance } : {}),
    }),
    { attempt: 1 },
  );
  return { file, outcome, totals: caller.totals, ...(packed ? { packed } : {}) };
}
