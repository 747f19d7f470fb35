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

let cached: JsonSchema | undefined;
export function verdictJsonSchema(): JsonSchema {
  cached ??= portableSchema(z.toJSONSchema(strictVerdictSchema, { io: "output" }) as JsonSchema);
  return cached;
}
