import { describe, expect, it } from "vitest";
import type { Plan, PlanUnit } from "../../src/pipeline/plan-schema.js";
import { planJsonSchema, planSchema } from "../../src/pipeline/plan-schema.js";
import { normalizeRepoPath, topologicalOrder, validatePlan } from "../../src/pipeline/plan-validation.js";
import { verdictJsonSchema } from "../../src/pipeline/review-schema.js";

function unit(id: string, extra: Partial<PlanUnit> = {}): PlanUnit {
  return {
    id,
    goal: `goal ${id}`,
    target_files: ["src/a.ts"],
    new_files: [],
    context_files: [],
    acceptance: ["works"],
    depends_on: [],
    est_input_tokens: 100,
    complexity: 2,
    ...extra,
  };
}

const existing = new Set(["src/a.ts", "src/b.ts", "lib/deep/c.py"]);
const context = {
  limits: { maxUnits: 5, maxFilesPerUnit: 2, maxInputTokens: 1000 },
  fileExists: (path: string) => existing.has(path),
  fileTokens: (path: string) => (path === "src/b.ts" ? 5000 : 50),
};

describe("validatePlan", () => {
  it("accepts a valid plan", () => {
    const plan: Plan = { summary: "s", units: [unit("u1"), unit("u2", { depends_on: ["u1"] })] };
    expect(validatePlan(plan, context)).toEqual([]);
  });

  it.each([
    ["duplicate ids", [unit("u1"), unit("u1")], /used more than once/],
    [
      "cycle",
      [unit("u1", { depends_on: ["u2"] }), unit("u2", { depends_on: ["u1"] })],
      /cycle: u1 → u2 → u1/,
    ],
    ["unknown dependency", [unit("u1", { depends_on: ["zz"] })], /unknown unit 'zz'/],
    ["self dependency", [unit("u1", { depends_on: ["u1"] })], /depends on itself/],
    ["outside repo", [unit("u1", { target_files: ["../etc/passwd"] })], /outside the repository/],
    ["absolute path", [unit("u1", { target_files: ["/etc/passwd"] })], /outside the repository/],
    [
      "missing target",
      [unit("u1", { target_files: ["src/nope.ts"] })],
      /does not exist; list it in new_files/,
    ],
    ["new file not in targets", [unit("u1", { new_files: ["x.ts"] })], /must also be in target_files/],
    ["created but exists", [unit("u1", { new_files: ["src/a.ts"] })], /already exists/],
    [
      "missing context",
      [unit("u1", { context_files: ["nope.md"] })],
      /context file 'nope.md' does not exist/,
    ],
    [
      "too many files",
      [unit("u1", { target_files: ["src/a.ts", "src/b.ts", "lib/deep/c.py"] })],
      /at most 2 per unit/,
    ],
    [
      "target over budget",
      [unit("u1", { target_files: ["src/b.ts"] })],
      /over the drafter's 1000-token budget/,
    ],
    ["estimate over budget", [unit("u1", { est_input_tokens: 5000 })], /est_input_tokens 5000/],
    [
      "too many units",
      ["a", "b", "c", "d", "e", "f"].map((id) => unit(id, { target_files: [`src/a.ts`] })),
      /at most 5/,
    ],
  ])("rejects %s", (_name, units, pattern) => {
    expect(validatePlan({ summary: "s", units }, context).join("\n")).toMatch(pattern);
  });

  it("accepts created files in nested folders", () => {
    const plan: Plan = {
      summary: "s",
      units: [unit("u1", { target_files: ["pkg/new/mod.ts"], new_files: ["./pkg/new/mod.ts"] })],
    };
    expect(validatePlan(plan, context)).toEqual([]);
  });
});

describe("normalizeRepoPath", () => {
  it.each([
    ["./src/a.ts", "src/a.ts"],
    ["src//x/../a.ts", "src/a.ts"],
    ["src\\win\\a.ts", "src/win/a.ts"],
    ["../a", undefined],
    ["/abs", undefined],
    ["C:/x", undefined],
    ["", undefined],
  ])("%s → %s", (input, expected) => {
    expect(normalizeRepoPath(input)).toBe(expected);
  });
});

describe("topologicalOrder", () => {
  it("orders dependencies first, stable otherwise", () => {
    expect(
      topologicalOrder([
        { id: "a", depends_on: ["c"] },
        { id: "b", depends_on: [] },
        { id: "c", depends_on: [] },
      ]).order,
    ).toEqual(["c", "a", "b"]);
  });
});

describe("planJsonSchema", () => {
  it("requires every unit field (strict structured output)", () => {
    const schema = planJsonSchema() as { properties: { units: { items: { required: string[] } } } };
    expect(schema.properties.units.items.required).toEqual(Object.keys(planSchema.shape.units.element.shape));
    // OpenAI strict mode also needs closed objects.
    expect(JSON.stringify(schema)).not.toContain('"additionalProperties":true');
    expect((schema as unknown as { additionalProperties: boolean }).additionalProperties).toBe(false);
    // Constraints Anthropic's structured output rejects are left to the zod validation.
    expect(JSON.stringify(schema)).not.toMatch(/"(minimum|maximum|minLength|maxLength|minItems|maxItems)"/);
    expect(JSON.stringify(verdictJsonSchema())).not.toMatch(/"(minimum|maximum|maxItems)"/);
    expect(JSON.stringify(verdictJsonSchema())).toContain('"enum":["accept","revise","split","escalate"]');
  });
});
