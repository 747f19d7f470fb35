/**
 * Pre-flight: before a run spends anything, every role it will use is checked the way `doctor`
 * checks it — free, in seconds: the provider answers (and is the kind configured), a CLI is
 * logged in, the model is present where the backend's list is authoritative, and the repository
 * is in the state `--verify` needs. The first failure is thrown as the error `doctor` would
 * report (same message and hint), with its documented exit code: 4 unreachable / not the
 * configured kind, 5 not logged in, 6 model missing, 2 repository state.
 */
import { execFileSync } from "node:child_process";
import { ProviderError, UsageError } from "../errors.js";
import type { PipelineRole } from "../pipeline/events.js";
import type { RoleRuntime } from "../pipeline/model-call.js";
import type { HealthStatus, ModelInfo, Provider } from "../providers/spec.js";
import { noCommitHint } from "../util/repo-root.js";
import { modelMatches } from "./model-names.js";

/** Backends whose model list is authoritative (as in doctor: a missing model is a failure). */
const authoritativeModelLists = new Set(["ollama", "lmstudio", "openai_compatible"]);

export interface PreflightOptions {
  roles: Record<PipelineRole, RoleRuntime>;
  /** Roles this command uses (default: all three). */
  use?: readonly PipelineRole[];
  /** Limit for each probe, milliseconds (default 15 s; a CLI's login check takes ~1–2 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Set when the run verifies: the repository must have a commit (the verify worktree needs HEAD). */
  verifyRepoRoot?: string;
  /**
   * The drafter's router candidates besides its own binding (`router.mode` matrix/learned). Each
   * gets the same checks as a role, but a failing one does not stop the run: it is returned in
   * `dropped` and the router never picks it.
   */
  candidates?: ReadonlyArray<Pick<RoleRuntime, "providerName" | "provider" | "model">>;
}

export interface PreflightReport {
  /** One line per role that passed, e.g. `planner claude/sonnet: claude 2.1.332 is installed and logged in`. */
  lines: string[];
  /** Corrections the user should make (a base_url's /v1 suffix dropped …), once per provider. */
  warnings: string[];
  /** Router candidates that failed a check (`provider/model` → the error's message); empty when none. */
  dropped: Map<string, string>;
  elapsedMs: number;
}

/** The one warning line for dropped router candidates, or undefined when none was dropped. */
export function droppedCandidatesWarning(dropped: ReadonlyMap<string, string>): string | undefined {
  if (dropped.size === 0) return undefined;
  const list = [...dropped].map(([key, why]) => `${key} (${why})`).join("; ");
  return `router candidate${dropped.size === 1 ? "" : "s"} left out of this run: ${list}; the other candidates and the drafter's own model are used`;
}

function signalFor(options: PreflightOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
}

async function healthOf(provider: Provider, options: PreflightOptions): Promise<HealthStatus> {
  try {
    return await provider.health({ signal: signalFor(options) });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { ok: false, reachable: false, message: (error as Error).message };
  }
}

/**
 * Checks every used role; throws the first failure (ProviderError or UsageError) and returns a
 * short report otherwise. Distinct providers are probed once and in parallel. Router candidates
 * (`options.candidates`) get the same checks, but a failing one is only reported in `dropped`:
 * the run goes on without it (the drafter's own model, checked as a role, still stops the run).
 */
export async function preflight(options: PreflightOptions): Promise<PreflightReport> {
  const started = performance.now();
  const use = options.use ?? (["planner", "drafter", "reviewer"] as const);
  if (options.verifyRepoRoot !== undefined) {
    try {
      execFileSync("git", ["rev-parse", "--verify", "--quiet", "HEAD"], {
        cwd: options.verifyRepoRoot,
        stdio: "ignore",
      });
    } catch {
      // The same words as the verify worktree's own check (src/verify/worktree.ts).
      throw new UsageError("verification needs a git repository with at least one commit", {
        hint: noCommitHint(options.verifyRepoRoot),
      });
    }
  }
  const healths = new Map<string, Promise<HealthStatus>>();
  const listings = new Map<string, Promise<ModelInfo[] | undefined>>();
  const bindings = [...use.map((role) => options.roles[role]), ...(options.candidates ?? [])];
  for (const { providerName, provider } of bindings) {
    if (!healths.has(providerName)) healths.set(providerName, healthOf(provider, options));
    // The model list (free, read-only) is asked at once too, not after the health answer: one
    // round trip per provider instead of two. It is only consulted once health has passed.
    if (authoritativeModelLists.has(provider.type) && !listings.has(providerName))
      listings.set(
        providerName,
        provider.listModels({ signal: signalFor(options) }).catch(() => undefined),
      );
  }
  const check = async (
    label: string,
    binding: Pick<RoleRuntime, "providerName" | "provider" | "model">,
  ): Promise<{ line: string } | { error: ProviderError }> => {
    const { providerName, provider, model } = binding;
    const health = await (healths.get(providerName) as Promise<HealthStatus>);
    const hint = health.hint ? { hint: health.hint } : {};
    if (!health.reachable)
      return {
        error: new ProviderError("unavailable", `${label}: ${health.message}`, {
          provider: providerName,
          retryable: false,
          ...hint,
        }),
      };
    if (health.authenticated === false)
      return {
        error: new ProviderError("auth", `${label}: ${health.message}`, {
          provider: providerName,
          retryable: false,
          ...hint,
        }),
      };
    if (health.kindMismatch)
      // Something answered, but it is not the kind of server configured (e.g. not Ollama).
      return {
        error: new ProviderError("unavailable", `${label}: ${health.message}`, {
          provider: providerName,
          retryable: false,
          ...hint,
        }),
      };
    if (authoritativeModelLists.has(provider.type)) {
      const models = await listings.get(providerName);
      if (models && !models.some((entry) => modelMatches(provider.type, entry.id, model))) {
        return {
          error: new ProviderError(
            "model_not_found",
            `${label}: model '${model}' is not ${provider.type === "ollama" ? "pulled" : "listed by the provider"}`,
            {
              provider: providerName,
              retryable: false,
              hint:
                provider.type === "ollama"
                  ? `ollama pull ${model}`
                  : `load or serve '${model}', or pick one of: ${models
                      .slice(0, 5)
                      .map((entry) => entry.id)
                      .join(", ")}`,
            },
          ),
        };
      }
    }
    return { line: `${label}: ${health.message}` };
  };
  const lines: string[] = [];
  for (const role of use) {
    const binding = options.roles[role];
    const outcome = await check(`${role} (${binding.providerName}/${binding.model})`, binding);
    if ("error" in outcome) throw outcome.error;
    lines.push(outcome.line);
  }
  const dropped = new Map<string, string>();
  for (const candidate of options.candidates ?? []) {
    const key = `${candidate.providerName}/${candidate.model}`;
    const outcome = await check(`router candidate (${key})`, candidate);
    if ("error" in outcome) {
      // The message without the label, first line only: the warning names the candidate itself.
      dropped.set(
        key,
        (outcome.error.message.split("\n")[0] ?? "").replace(`router candidate (${key}): `, ""),
      );
    } else lines.push(outcome.line);
  }
  const warnings = new Set<string>();
  for (const { providerName, provider } of bindings) {
    for (const warning of (provider as { urlWarnings?: string[] }).urlWarnings ?? [])
      warnings.add(`${providerName}: ${warning}`);
  }
  return { lines, warnings: [...warnings], dropped, elapsedMs: Math.round(performance.now() - started) };
}
