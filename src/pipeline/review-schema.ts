/**
 * The reviewer's verdict: compact by design (the reviewer reads much and writes little).
 * The JSON Schema sent to providers marks every field required (OpenAI strict mode); parsing is
 * lenient about a missing `sub_units` and over-long issue lists, which are cut, not rejected.
 */
import { z } from "zod";
import type { JsonSchema } from "../providers/spec.js";
import { portableSchema } from "./portable-schema.js";

export const subUnitSchema = z.object({
  goal: z.string().min(1),
  target_files: z.array(z.string().min(1)).min(1),
  acceptance: z.array(z.string()),
});

const strictVerdictSchema = z.object({
  action: z.enum(["accept", "revise", "split", "escalate"]),
  feedback: z.string().describe("what to change, for the drafter; empty when accepting"),
  issues: z.array(z.string()).max(3).describe("at most 3 concrete problems"),
  confidence: z.number().min(0).max(1),
  sub_units: z.array(subUnitSchema).describe("only for split: smaller units replacing this one; else empty"),
});

export const verdictSchema = strictVerdictSchema.extend({
  issues: z
    .array(z.string())
    .default([])
    .transform((issues) => issues.slice(0, 3)),
  feedback: z.string().default(""),
  sub_units: z.array(subUnitSchema).default([]),
});

export type ReviewVerdict = z.infer<typeof verdictSchema>;
export type SubUnit = z.infer<typeof subUnitSchema>;

/**
 * The compact checkpoint (hierarchical-orchestrator seed, "Validation Checkpoint Protocol"):
 * `{pass, issues (≤ 3), confidence, escalate}`, small enough for a 100-token output cap. It is
 * read through `repairVerdict` into the full shape: escalate → escalate, pass → accept, else
 * revise with the issues as the drafter's feedback.
 */
const compactVerdictSchema = z.object({
  pass: z.boolean().describe("true when the diff meets every acceptance criterion and breaks nothing"),
  issues: z.array(z.string()).max(3).describe("at most 3 concrete problems, a few words each"),
  confidence: z.number().min(0).max(1),
  escalate: z.boolean().describe("true when the drafter cannot do this unit even with the issues"),
});

let cached: JsonSchema | undefined;
let cachedCompact: JsonSchema | undefined;
/** The JSON Schema sent for a verdict: the full shape, or the compact checkpoint. */
export function verdictJsonSchema(checkpoint: "compact" | "full" = "full"): JsonSchema {
  if (checkpoint === "compact") {
    cachedCompact ??= portableSchema(z.toJSONSchema(compactVerdictSchema, { io: "output" }) as JsonSchema);
    return cachedCompact;
  }
  cached ??= portableSchema(z.toJSONSchema(strictVerdictSchema, { io: "output" }) as JsonSchema);
  return cached;
}

const actionAliases: Record<string, ReviewVerdict["action"]> = {
  accept: "accept",
  accepted: "accept",
  approve: "accept",
  approved: "accept",
  pass: "accept",
  lgtm: "accept",
  revise: "revise",
  revision: "revise",
  reject: "revise",
  rejected: "revise",
  fail: "revise",
  changes_requested: "revise",
  split: "split",
  escalate: "escalate",
};

function toStringList(value: unknown): unknown {
  if (typeof value === "string") return value.trim() === "" ? [] : [value];
  return value;
}

/**
 * Repairs a verdict whose meaning is clear before schema validation: the hierarchical-orchestrator
 * validator shape `{pass, issues, confidence, escalate}` (escalate → escalate, pass → accept, else
 * revise), the Python original's `{action, feedback, reason}`, `verdict` / `decision` for `action`
 * (any case, common synonyms), a confidence given as text or percent, and strings where lists
 * belong. A missing confidence is taken as 1 (the action is explicit). Returns one sentence per repair.
 */
export function repairVerdict(raw: unknown): { value: unknown; repairs: string[] } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { value: raw, repairs: [] };
  const repairs: string[] = [];
  const verdict: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (verdict.action === undefined) {
    const alias = verdict.verdict ?? verdict.decision;
    if (alias !== undefined) {
      verdict.action = alias;
      repairs.push("took `verdict`/`decision` as action");
    } else if (typeof verdict.pass === "boolean") {
      verdict.action = verdict.escalate === true ? "escalate" : verdict.pass ? "accept" : "revise";
      repairs.push(`read the validator shape {pass, escalate} as action '${verdict.action as string}'`);
    }
  }
  if (typeof verdict.action === "string") {
    const key = verdict.action
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, "_");
    const mapped = actionAliases[key];
    if (mapped && mapped !== verdict.action) {
      repairs.push(`action '${verdict.action}' taken as '${mapped}'`);
      verdict.action = mapped;
    }
  }
  verdict.issues = toStringList(verdict.issues);
  if (typeof verdict.feedback !== "string") {
    const text = [verdict.reason, verdict.feedback].find((value) => typeof value === "string");
    if (text !== undefined) verdict.feedback = text;
    else if (verdict.feedback === undefined || verdict.feedback === null) {
      verdict.feedback = Array.isArray(verdict.issues) ? (verdict.issues as unknown[]).join("\n") : "";
    }
  }
  if (typeof verdict.confidence === "string" && verdict.confidence.trim() !== "") {
    const number = Number(verdict.confidence.replace(/%$/, ""));
    if (Number.isFinite(number)) {
      verdict.confidence = verdict.confidence.trim().endsWith("%") ? number / 100 : number;
      repairs.push("confidence was text; read it as a number");
    }
  }
  if (typeof verdict.confidence === "number" && verdict.confidence > 1 && verdict.confidence <= 100) {
    verdict.confidence = verdict.confidence / 100;
    repairs.push("confidence was a percentage; divided by 100");
  }
  if (verdict.confidence === undefined || verdict.confidence === null) {
    verdict.confidence = 1;
    repairs.push("confidence was missing; took 1");
  }
  if (Array.isArray(verdict.sub_units)) {
    verdict.sub_units = verdict.sub_units.map((sub) => {
      if (typeof sub !== "object" || sub === null) return sub;
      const copy: Record<string, unknown> = { ...(sub as Record<string, unknown>) };
      if (copy.target_files === undefined && copy.target_file !== undefined)
        copy.target_files = copy.target_file;
      copy.target_files = toStringList(copy.target_files);
      copy.acceptance = toStringList(copy.acceptance ?? []);
      return copy;
    });
  } else if (verdict.sub_units === null) verdict.sub_units = [];
  return { value: verdict, repairs };
}
