/**
 * After the units: run the project's verify command on all accepted work. New failures (not
 * already failing at baseline) go back — through the reviewer — to the unit(s) responsible, up to
 * `maxRounds` times. Units implicated in failures that remain are reported as not verified.
 */
import type { EventSink } from "./events.js";
import type { Verifier, VerifyOutcome } from "./hooks.js";
import type { Plan } from "./plan-schema.js";
import type { RunLogSink } from "./ports.js";
import {
  isUnitLevelFailure,
  type RunState,
  recordUnitError,
  runUnit,
  type UnitRunnerDeps,
} from "./unit-runner.js";

export interface VerificationSummary {
  command: string;
  baseline: VerifyOutcome;
  final?: VerifyOutcome;
  rounds: number;
  newFailures: string[];
  verifiedUnits: string[];
  unverifiedUnits: string[];
}

export interface VerifyLoopInput {
  verifier: Verifier;
  baseline: Promise<VerifyOutcome>;
  plan: Plan;
  state: RunState;
  unitDeps: UnitRunnerDeps;
  maxRounds: number;
  signal?: AbortSignal;
  emit?: EventSink;
  log?: RunLogSink;
}

/** Units whose files or ids the failure output mentions; all candidates when none is named. */
export function responsibleUnits(
  report: string,
  failures: string[],
  candidates: Array<{ id: string; files: string[] }>,
): string[] {
  const haystack = `${report}\n${failures.join("\n")}`;
  const named = candidates.filter((unit) =>
    unit.files.some((file) => {
      const base = file.split("/").at(-1) ?? file;
      const stem = base.replace(/\.[^.]+$/, "");
      return (
        haystack.includes(file) || haystack.includes(base) || (stem.length >= 3 && haystack.includes(stem))
      );
    }),
  );
  return (named.length > 0 ? named : candidates).map((unit) => unit.id);
}

export async function runVerifyLoop(input: VerifyLoopInput): Promise<VerificationSummary> {
  const { verifier, state, plan } = input;
  const baseline = await input.baseline;
  input.log?.append({ type: "verify-baseline", outcome: baseline });
  const acceptedTop = () => plan.units.filter((unit) => state.results.get(unit.id)?.status === "accepted");
  let rounds = 0;
  for (;;) {
    const changes = state.overlay.changes();
    const accepted = acceptedTop();
    if (changes.length === 0) {
      return {
        command: verifier.command,
        baseline,
        rounds,
        newFailures: [],
        verifiedUnits: accepted.map((unit) => unit.id),
        unverifiedUnits: [],
      };
    }
    input.emit?.({ type: "verify-started", phase: "round", round: rounds, command: verifier.command });
    const outcome = await verifier.verify(changes, input.signal);
    const newFailures = outcome.ok ? [] : verifier.newFailures(outcome, baseline);
    input.emit?.({ type: "verify", phase: "round", round: rounds, outcome, newFailures });
    input.log?.append({ type: "verify", round: rounds, outcome, newFailures });
    const passed = outcome.ok || newFailures.length === 0;
    const blamed = passed
      ? []
      : responsibleUnits(
          outcome.report,
          newFailures,
          accepted.map((unit) => ({ id: unit.id, files: unit.target_files })),
        );
    if (passed || rounds >= input.maxRounds) {
      const verifiedUnits = accepted.map((unit) => unit.id).filter((id) => !blamed.includes(id));
      for (const unit of accepted) {
        const result = state.results.get(unit.id);
        if (result) result.verified = !blamed.includes(unit.id);
      }
      return {
        command: verifier.command,
        baseline,
        final: outcome,
        rounds,
        newFailures,
        verifiedUnits,
        unverifiedUnits: blamed,
      };
    }
    rounds += 1;
    for (const id of blamed) {
      const unit = plan.units.find((candidate) => candidate.id === id);
      const previous = state.results.get(id);
      if (!unit || !previous) continue;
      try {
        await runUnit(input.unitDeps, unit, 0, id, { verifyReport: outcome.report, previous });
      } catch (error) {
        if (input.signal?.aborted || !isUnitLevelFailure(error)) throw error;
        recordUnitError(input.unitDeps, unit, id, error);
      }
    }
  }
}
