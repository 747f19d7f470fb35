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
  /**
   * The drafter sees large targets through excerpts (relevant symbols + signatures of the rest)
   * and edits them with SEARCH/REPLACE against the full file, so no unit is rejected for the
   * size of its files (issue 12, item 4); drafting reports a unit whose focus cannot fit.
   */
  excerpts?: boolean;
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
    // With excerpts a target never has to fit whole (checked below): do not count it.
    if (exists && context.fileTokens && !context.limits.excerpts) targetTokens += context.fileTokens(path);
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
  if (context.limits.excerpts) return problems;
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

/** What plan repair may consult about the repository. */
export interface PlanRepairContext {
  fileExists(path: string): boolean;
  /** Token size of an existing file; used to count a missing est_input_tokens. */
  fileTokens?(path: string): number;
}

/** Drafter input besides the files themselves (instructions, the unit, the edit format), in tokens. */
const promptOverheadTokens = 600;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A list of strings from a list, a single string (one item) or nothing (empty); other items are dropped. */
function stringList(value: unknown, field: string, where: string, repairs: string[]): string[] {
  if (value === undefined || value === null) {
    repairs.push(`${where}: ${field} was missing; took []`);
    return [];
  }
  if (typeof value === "string") {
    repairs.push(`${where}: ${field} was a string; took it as a one-item list`);
    return value.trim() === "" ? [] : [value];
  }
  if (!Array.isArray(value)) return value as string[];
  const items = value.flatMap((item) =>
    typeof item === "string" ? [item] : typeof item === "number" ? [String(item)] : [],
  );
  const kept = items.filter((item) => item.trim() !== "");
  if (kept.length !== value.length) repairs.push(`${where}: dropped empty or non-text items from ${field}`);
  return kept;
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

/**
 * Complexity 0–10 from the unit itself, after the Python original's heuristic: goal length,
 * words that mean structural change, and how many files are involved.
 */
export function scoreComplexity(goal: string, targetCount: number, contextCount: number): number {
  let score = Math.min(3, goal.split(/\s+/).filter(Boolean).length / 50);
  if (/\b(refactor|architect|migrat|redesign|rewrite)/i.test(goal)) score += 2;
  if (targetCount > 1) score += 1.5;
  if (contextCount > 2) score += 1;
  if (/\btests?\b/i.test(goal)) score += 1;
  return Math.round(Math.min(10, score) * 10) / 10;
}

function repairUnit(
  raw: unknown,
  index: number,
  context: PlanRepairContext | undefined,
  repairs: string[],
): unknown {
  if (!isRecord(raw)) return raw;
  const unit: Json = { ...raw };
  let where = `unit ${index + 1}`;
  if (typeof unit.id === "number") unit.id = String(unit.id);
  if (typeof unit.id !== "string" || unit.id.trim() === "") {
    unit.id = `u${index + 1}`;
    repairs.push(`${where}: id was missing; took '${unit.id}'`);
  }
  where = `unit '${unit.id as string}'`;
  if (typeof unit.goal !== "string" || unit.goal.trim() === "") {
    const alias = [unit.description, unit.title, unit.task, unit.summary].find(
      (value) => typeof value === "string" && value.trim() !== "",
    );
    if (alias !== undefined) {
      unit.goal = alias;
      repairs.push(`${where}: goal was missing; took it from the unit's description`);
    }
  }
  if (unit.target_files === undefined && unit.target_file !== undefined) {
    unit.target_files = unit.target_file;
    repairs.push(`${where}: took target_file as target_files`);
  }
  if (unit.target_files !== undefined)
    unit.target_files = stringList(unit.target_files, "target_files", where, repairs);
  for (const field of ["new_files", "context_files", "acceptance", "depends_on"] as const) {
    unit[field] = stringList(unit[field], field, where, repairs);
  }
  delete unit.target_file;
  const targets = Array.isArray(unit.target_files) ? (unit.target_files as string[]) : [];
  if (context) {
    // new_files is what the targets say: the ones that do not exist yet.
    const given = new Set((unit.new_files as string[]).map((file) => normalizeRepoPath(file) ?? file));
    for (const file of given) {
      if (!targets.some((target) => normalizeRepoPath(target) === file)) {
        targets.push(file);
        repairs.push(`${where}: new file '${file}' was not in target_files; added it`);
      }
    }
    unit.target_files = targets;
    const derived = targets.filter((file) => {
      const path = normalizeRepoPath(file);
      return path !== undefined && !context.fileExists(path);
    });
    const derivedSet = new Set(derived.map((file) => normalizeRepoPath(file)));
    if (derived.length !== given.size || [...given].some((file) => !derivedSet.has(file)))
      repairs.push(`${where}: new_files derived from the targets that do not exist: [${derived.join(", ")}]`);
    unit.new_files = derived;
    const contextFiles = unit.context_files as string[];
    const present = contextFiles.filter((file) => {
      const path = normalizeRepoPath(file);
      return path === undefined || context.fileExists(path);
    });
    if (present.length !== contextFiles.length) {
      const dropped = contextFiles.filter((file) => !present.includes(file));
      repairs.push(`${where}: dropped context files that do not exist: ${dropped.join(", ")}`);
      unit.context_files = present;
    }
  }
  const tokens = numberOf(unit.est_input_tokens);
  if (tokens === undefined) {
    if (context?.fileTokens) {
      const files = [...targets, ...(unit.context_files as string[])]
        .map((file) => normalizeRepoPath(file))
        .filter((path): path is string => path !== undefined && context.fileExists(path));
      const counted = files.reduce(
        (sum, path) => sum + (context.fileTokens?.(path) ?? 0),
        promptOverheadTokens,
      );
      unit.est_input_tokens = counted;
      repairs.push(`${where}: est_input_tokens was missing; counted ${counted}`);
    } else {
      unit.est_input_tokens = 0;
      repairs.push(`${where}: est_input_tokens was missing; took 0`);
    }
  } else if (!Number.isInteger(tokens) || tokens < 0 || typeof unit.est_input_tokens !== "number") {
    unit.est_input_tokens = Math.max(0, Math.round(tokens));
    repairs.push(
      `${where}: est_input_tokens ${String(raw.est_input_tokens)} rounded to ${unit.est_input_tokens as number}`,
    );
  }
  const complexity = numberOf(unit.complexity);
  if (complexity === undefined) {
    unit.complexity = scoreComplexity(
      typeof unit.goal === "string" ? unit.goal : "",
      targets.length,
      (unit.context_files as string[]).length,
    );
    repairs.push(`${where}: complexity was missing; scored ${unit.complexity as number}`);
  } else if (complexity < 0 || complexity > 10 || typeof unit.complexity !== "number") {
    unit.complexity = Math.min(10, Math.max(0, complexity));
    repairs.push(`${where}: complexity ${String(raw.complexity)} taken as ${unit.complexity as number}`);
  }
  return unit;
}

/**
 * Repairs what a planner reply gets wrong but means clearly, before schema validation: a string
 * where a list belongs (one item), missing lists ([]), new_files (derived from which targets do not
 * exist), a missing est_input_tokens (counted) or complexity (scored), numbers out of shape
 * (rounded, clamped), context files or dependencies that name nothing (dropped), and the Python
 * original's plan shape (`task` for `summary`, `target_file`, `acceptance` as one string). What
 * cannot be repaired — no units, a target outside the repository, a dependency cycle — is left
 * for the schema and `validatePlan` to reject. Returns the repaired value and one sentence per repair.
 */
export function repairPlan(raw: unknown, context?: PlanRepairContext): { value: unknown; repairs: string[] } {
  const repairs: string[] = [];
  let source = raw;
  if (isRecord(source) && !("units" in source) && isRecord(source.plan)) {
    source = source.plan;
    repairs.push("took the plan from its `plan` wrapper");
  }
  if (Array.isArray(source)) {
    source = { units: source };
    repairs.push("the answer was a list of units; took it as the plan's units");
  }
  if (!isRecord(source)) return { value: raw, repairs: [] };
  const plan: Json = { ...source };
  if (typeof plan.summary !== "string") {
    const alias = [plan.task, plan.approach, plan.goal].find((value) => typeof value === "string");
    plan.summary = alias ?? "";
    repairs.push(
      alias !== undefined ? "summary was missing; took it from `task`" : "summary was missing; took ''",
    );
  }
  delete plan.task;
  if (isRecord(plan.units)) {
    plan.units = [plan.units];
    repairs.push("units was a single object; took it as a one-unit list");
  }
  if (Array.isArray(plan.units)) {
    const units = plan.units.map((unit, index) => repairUnit(unit, index, context, repairs));
    const ids = new Set(
      units.flatMap((unit) => (isRecord(unit) && typeof unit.id === "string" ? [unit.id] : [])),
    );
    for (const unit of units) {
      if (!isRecord(unit) || !Array.isArray(unit.depends_on)) continue;
      const kept = (unit.depends_on as string[]).filter((id) => ids.has(id) && id !== unit.id);
      if (kept.length !== unit.depends_on.length) {
        repairs.push(`unit '${String(unit.id)}': dropped dependencies on unknown units or itself`);
        unit.depends_on = kept;
      }
    }
    plan.units = units;
  }
  return { value: plan, repairs };
}
