import { describe, expect, it } from "vitest";
import type { Plan, PlanUnit } from "../../src/pipeline/plan-schema.js";
import { planJsonSchema, planSchema } from "../../src/pipeline/plan-schema.js";
import {
  normalizeRepoPath,
  repairPlan,
  topologicalOrder,
  validatePlan,
} from "../../src/pipeline/plan-validation.js";
import { repairVerdict, verdictJsonSchema, verdictSchema } from "../../src/pipeline/review-schema.js";

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

describe("repairPlan: recoverable plans are repaired, not rejected", () => {
  const exists = new Set(["src/a.ts", "src/b.ts"]);
  const context = { fileExists: (path: string) => exists.has(path), fileTokens: () => 50 };
  const repaired = (raw: unknown) => {
    const { value, repairs } = repairPlan(raw, context);
    return { parsed: planSchema.safeParse(value), repairs };
  };

  it.each([
    ["acceptance as a string", { acceptance: "it works" }, { acceptance: ["it works"] }],
    [
      "missing new_files, context_files, depends_on",
      { new_files: undefined, context_files: undefined, depends_on: undefined },
      { new_files: [], context_files: [], depends_on: [] },
    ],
    [
      "a new file not listed in new_files",
      { target_files: ["src/a.ts", "src/new.ts"], new_files: [] },
      { new_files: ["src/new.ts"] },
    ],
    ["an existing file listed in new_files", { new_files: ["src/a.ts"] }, { new_files: [] }],
    ["est_input_tokens 100.5", { est_input_tokens: 100.5 }, { est_input_tokens: 101 }],
    [
      "a missing est_input_tokens (counted)",
      { est_input_tokens: undefined, context_files: ["src/b.ts"] },
      { est_input_tokens: 700 },
    ],
    ["complexity as text", { complexity: "3" }, { complexity: 3 }],
    [
      "a context file that does not exist",
      { context_files: ["src/gone.ts", "src/b.ts"] },
      { context_files: ["src/b.ts"] },
    ],
    ["a dependency on an unknown unit", { depends_on: ["u9"] }, { depends_on: [] }],
  ])("%s", (_name, change, expected) => {
    const { parsed, repairs } = repaired({ summary: "s", units: [{ ...unit("u1"), ...change }] });
    expect(parsed.success).toBe(true);
    expect(parsed.data?.units[0]).toMatchObject(expected);
    expect(repairs.length).toBeGreaterThan(0);
  });

  it("scores a missing complexity", () => {
    const { parsed } = repaired({
      summary: "s",
      units: [{ ...unit("u1"), complexity: undefined, goal: "refactor the parser" }],
    });
    expect(parsed.data?.units[0]?.complexity).toBeGreaterThanOrEqual(2);
  });

  it("accepts the Python original's plan shape", () => {
    const python = {
      task: "add a mul function",
      units: [
        {
          id: "u1",
          goal: "add mul",
          target_files: ["src/a.ts"],
          context_files: [],
          acceptance: "mul(2,3) == 6",
          est_input_tokens: 800,
        },
      ],
    };
    const { parsed } = repaired(python);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject({
      summary: "add a mul function",
      units: [{ acceptance: ["mul(2,3) == 6"], new_files: [], depends_on: [] }],
    });
  });

  it("leaves what cannot be repaired to be rejected: no units, a target outside the repository, a cycle", () => {
    expect(repaired({ summary: "s", units: [] }).parsed.success).toBe(false);
    const limits = { maxUnits: 5, maxFilesPerUnit: 3, maxInputTokens: 10_000 };
    const outside = repaired({ summary: "s", units: [{ ...unit("u1"), target_files: ["../etc/passwd"] }] });
    expect(validatePlan(outside.parsed.data as Plan, { limits, fileExists: context.fileExists })).toContain(
      "unit 'u1': target '../etc/passwd' is outside the repository",
    );
    const cycle = repaired({
      summary: "s",
      units: [unit("u1", { depends_on: ["u2"] }), unit("u2", { depends_on: ["u1"] })],
    });
    expect(
      validatePlan(cycle.parsed.data as Plan, { limits, fileExists: context.fileExists }).join(),
    ).toMatch(/cycle/);
  });
});

describe("repairVerdict", () => {
  it.each([
    [
      "the validator shape, pass",
      { pass: true, issues: [], confidence: 0.9, escalate: false },
      { action: "accept", confidence: 0.9 },
    ],
    [
      "the validator shape, fail",
      { pass: false, issues: ["off by one"], confidence: 0.8, escalate: false },
      { action: "revise", feedback: "off by one", issues: ["off by one"] },
    ],
    [
      "the validator shape, escalate",
      { pass: false, issues: [], confidence: 0.4, escalate: true },
      { action: "escalate" },
    ],
    [
      "the Python original's verdict",
      { action: "revise", feedback: "fix it", reason: "bug" },
      { action: "revise", feedback: "fix it", confidence: 1 },
    ],
    [
      "a capitalised action and a percent confidence",
      { action: "Accept", confidence: "85%" },
      { action: "accept", confidence: 0.85 },
    ],
  ])("%s", (_name, raw, expected) => {
    const parsed = verdictSchema.safeParse(repairVerdict(raw).value);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toMatchObject(expected);
  });
});
