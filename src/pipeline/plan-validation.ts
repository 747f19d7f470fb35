/**
 * Plan validation: everything the pipeline relies on before drafting starts. Problems are
 * returned as plain sentences, because they go back to the planner verbatim on the retry.
 */
import { isAbsolute, normalize } from "node:path";
import { protectedReason } from "../edits/path-rules.js";
import type { Plan, PlanUnit } from "./plan-schema.js";

export interface PlanLimits {
  maxUnits: number;
  maxFilesPerUnit: number;
  /** Input tokens the drafter can take for one unit (target + context + instructions). */
  maxInputTokens: number;
}

export interface PlanValidationContext {
  limits: PlanLimits;
  /** Whether a repo-relative path exists in the repository (as a file). */
  fileExists(path: string): boolean;
  /** Token size of an existing file, for the budget check. */
  fileTokens?(path: string): number;
}

/** Normalizes a model-given path to repo-relative POSIX form, or undefined when it escapes the repo. */
export function normalizeRepoPath(path: string): string | undefined {
  const trimmed = path.trim().replace(/\\/g, "/").replace(/^\.\//, "");
  if (trimmed === "" || isAbsolute(trimmed) || /^[a-zA-Z]:\//.test(trimmed)) return undefined;
  const normalized = normalize(trimmed).replace(/\\/g, "/");
  if (normalized === ".." || normalized.startsWith("../") || normalized === ".") return undefined;
  return normalized;
}

/** Returns the unit ids in a dependency-respecting order (stable by plan order), or the cycle. */
export function topologicalOrder(units: ReadonlyArray<Pick<PlanUnit, "id" | "depends_on">>): {
  order: string[];
  cycle?: string[];
} {
  const byId = new Map(units.map((unit) => [unit.id, unit]));
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  const stack: string[] = [];
  let cycle: string[] | undefined;
  const visit = (id: string): void => {
    if (cycle) return;
    const current = state.get(id);
    if (current === "done") return;
    if (current === "visiting") {
      cycle = [...stack.slice(stack.indexOf(id)), id];
      return;
    }
    const unit = byId.get(id);
    if (!unit) return;
    state.set(id, "visiting");
    stack.push(id);
    for (const dependency of unit.depends_on) visit(dependency);
    stack.pop();
    state.set(id, "done");
    order.push(id);
  };
  for (const unit of units) visit(unit.id);
  return cycle ? { order, cycle } : { order };
}

export function validatePlan(plan: Plan, context: PlanValidationContext): string[] {
  const problems: string[] = [];
  const { limits } = context;
  if (plan.units.length > limits.maxUnits) {
    problems.push(`the plan has ${plan.units.length} units; at most ${limits.maxUnits} are allowed`);
  }
  const ids = new Set<string>();
  for (const unit of plan.units) {
    if (ids.has(unit.id)) problems.push(`unit id '${unit.id}' is used more than once`);
    ids.add(unit.id);
  }
  for (const unit of plan.units) problems.push(...validateUnit(unit, ids, context));
  const { cycle } = topologicalOrder(plan.units);
  if (cycle) problems.push(`depends_on forms a cycle: ${cycle.join(" → ")}`);
  return problems;
}

function validateUnit(unit: PlanUnit, ids: Set<string>, context: PlanValidationContext): string[] {
  const problems: string[] = [];
  const where = `unit '${unit.id}'`;
  const created = new Set(unit.new_files.map((file) => normalizeRepoPath(file)));
  if (unit.target_files.length > context.limits.maxFilesPerUnit) {
    problems.push(
      `${where} targets ${unit.target_files.length} files; the drafter handles at most ${context.limits.maxFilesPerUnit} per unit — split it`,
    );
  }
  let targetTokens = 0;
  for (const file of unit.target_files) {
    const path = normalizeRepoPath(file);
    if (!path) {
      problems.push(`${where}: target '${file}' is outside the repository`);
      continue;
    }
    const refused = protectedReason(path);
    if (refused) {
      problems.push(`${where}: target '${file}' may not be edited (${refused}); leave it out of the plan`);
      continue;
    }
    const exists = context.fileExists(path);
    if (!exists && !created.has(path)) {
      problems.push(`${where}: target '${file}' does not exist; list it in new_files if the unit creates it`);
    }
    if (exists && created.has(path)) problems.push(`${where}: '${file}' is in new_files but already exists`);
    if (exists && context.fileTokens) targetTokens += context.fileTokens(path);
  }
  const targets = new Set(unit.target_files.map((file) => normalizeRepoPath(file)));
  for (const file of unit.new_files) {
    if (!targets.has(normalizeRepoPath(file)))
      problems.push(`${where}: new file '${file}' must also be in target_files`);
  }
  for (const file of unit.context_files) {
    const path = normalizeRepoPath(file);
    if (!path) problems.push(`${where}: context file '${file}' is outside the repository`);
    else if (!context.fileExists(path)) problems.push(`${where}: context file '${file}' does not exist`);
  }
  for (const dependency of unit.depends_on) {
    if (dependency === unit.id) problems.push(`${where} depends on itself`);
    else if (!ids.has(dependency)) problems.push(`${where} depends on unknown unit '${dependency}'`);
  }
  const budget = context.limits.maxInputTokens;
  if (targetTokens > budget) {
    problems.push(
      `${where}: its target files alone are ~${targetTokens} tokens, over the drafter's ${budget}-token budget — target fewer or smaller files`,
    );
  } else if (unit.est_input_tokens > budget) {
    problems.push(
      `${where}: est_input_tokens ${unit.est_input_tokens} is over the drafter's budget of ${budget}`,
    );
  }
  return problems;
}

/** Returns a copy with every path normalized (after validation passed). */
export function normalizePlanPaths(plan: Plan): Plan {
  const fix = (files: string[]) => files.map((file) => normalizeRepoPath(file) ?? file);
  return {
    ...plan,
    units: plan.units.map((unit) => ({
      ...unit,
      target_files: fix(unit.target_files),
      new_files: fix(unit.new_files),
      context_files: fix(unit.context_files),
    })),
  };
}
