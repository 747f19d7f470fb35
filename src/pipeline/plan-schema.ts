/**
 * The plan the planner returns: a list of bounded units the drafter can write one at a time.
 * The zod schema is the single source of truth; the JSON Schema sent to providers for structured
 * output is generated from it, so every field is required (OpenAI strict mode demands it).
 */
import { z } from "zod";
import type { JsonSchema } from "../providers/spec.js";
import { portableSchema } from "./portable-schema.js";

export const unitSchema = z.object({
  id: z.string().min(1).max(64).describe("short unique id, e.g. u1"),
  goal: z.string().min(1).describe("what this unit changes, in one or two sentences"),
  target_files: z
    .array(z.string().min(1))
    .min(1)
    .describe("files this unit edits or creates (repo-relative)"),
  new_files: z
    .array(z.string().min(1))
    .describe("subset of target_files that do not exist yet and are created"),
  context_files: z.array(z.string().min(1)).describe("read-only files the drafter needs to see"),
  acceptance: z.array(z.string().min(1)).describe("checks the reviewer applies to the result"),
  depends_on: z.array(z.string()).describe("ids of units that must be accepted first"),
  est_input_tokens: z.number().int().min(0).describe("estimated drafter input tokens"),
  complexity: z.number().min(0).max(10).describe("0 trivial … 10 architectural"),
});

export const planSchema = z.object({
  summary: z.string().describe("one line: the approach"),
  units: z.array(unitSchema).min(1),
});

export type PlanUnit = z.infer<typeof unitSchema>;
export type Plan = z.infer<typeof planSchema>;

let cachedPlanJsonSchema: JsonSchema | undefined;

export function planJsonSchema(): JsonSchema {
  cachedPlanJsonSchema ??= portableSchema(z.toJSONSchema(planSchema, { io: "output" }) as JsonSchema);
  return cachedPlanJsonSchema;
}

/** Files a unit touches (targets), used for same-file ordering. */
export function unitFiles(unit: Pick<PlanUnit, "target_files">): string[] {
  return unit.target_files;
}
