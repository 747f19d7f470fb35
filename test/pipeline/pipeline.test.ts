import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AbortError, ModelOutputError, ProviderError } from "../../src/errors.js";
import type { ChangedFile, DraftChecker, Verifier, VerifyOutcome } from "../../src/pipeline/hooks.js";
import { planOnly, runPipeline } from "../../src/pipeline/pipeline.js";
import { resumeFromLog } from "../../src/pipeline/resume.js";
import {
  defaultPolicy,
  files,
  harness,
  makeRepo,
  memoryPlanCache,
  planAnswer,
  searchReplace,
  unit,
  verdict,
  wholeFile,
} from "./support/harness.js";
import { allText, lastUser } from "./support/scripted-provider.js";

const addMul =
  "export function add(a: number, b: number): number {\n  return a + b;\n}\nexport const mul = (a: number, b: number) => a * b;\n";

describe("runPipeline", () => {
  it("plans, drafts, reviews and returns git diffs without touching the repo", async () => {
    const root = makeRepo();
    const h = harness({
      planner: () =>
        planAnswer({
          summary: "s",
          units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["lib/deep/nested/util.py"])],
        }),
      drafter: (request) =>
        allText(request).includes("Unit u1")
          ? wholeFile("src/app/math.ts", addMul)
          : searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return x + x"),
    });
    const result = await runPipeline(h.deps(root), h.options());
    expect(result.accepted).toEqual(["u1", "u2"]);
    expect(result.diff).toContain("diff --git a/src/app/math.ts b/src/app/math.ts");
    expect(result.diff).toContain("diff --git a/lib/deep/nested/util.py b/lib/deep/nested/util.py");
    expect(result.diff).toContain("+    return x + x");
    expect(readFileSync(join(root, "src/app/math.ts"), "utf8")).toBe(files["src/app/math.ts"]);
    expect(result.totals.planner.calls).toBe(1);
    expect(result.totals.reviewer.calls).toBe(2);
    expect(result.totals.drafter.costUsd).toBe(0);
    // Each role used its own binding; the drafter was sent the allocated context window.
    expect(h.planner.requests).toHaveLength(1);
    expect(h.reviewer.requests.every((request) => request.model === "gpt-5-mini" && request.jsonSchema)).toBe(
      true,
    );
    expect(h.reviewer.requests.every((request) => request.maxOutputTokens === 400)).toBe(true);
    expect(h.drafter.requests.every((request) => request.numCtx === 32768)).toBe(true);
    expect(h.planner.requests[0]?.cachedContext).toContain("lib/deep/nested/util.py");
  });

  it("revises with the reviewer's feedback and the previous attempt, then accepts", async () => {
    const root = makeRepo();
    const h = harness({
      planner: () => planAnswer({ summary: "s", units: [unit("u1", ["src/app/math.ts"])] }),
      drafter: (_request, index) =>
        wholeFile("src/app/math.ts", index === 0 ? "export const add = 1;\n" : addMul),
      reviewer: (_request, index) =>
        index === 0
          ? verdict("revise", { feedback: "keep add a function", issues: ["add was removed"] })
          : verdict("accept"),
    });
    const result = await runPipeline(h.deps(root), h.options());
    expect(result.accepted).toEqual(["u1"]);
    expect(result.revisions).toBe(1);
    const second = lastUser(h.drafter.requests[1] ?? { messages: [], model: "", maxOutputTokens: 0 });
    expect(second).toContain("keep add a function");
    expect(second).toContain("add was removed");
    expect(second).toContain("+export const add = 1;");
  });

  it("sends a failed edit back to the drafter with the report before paying the reviewer", async () => {
    const root = makeRepo();
    const h = harness({
      planner: () => planAnswer({ summary: "s", units: [unit("u1", ["lib/deep/nested/util.py"])] }),
      drafter: (_request, index) =>
        index === 0
          ? searchReplace("lib/deep/nested/util.py", "    return x*2", "    return 2 * x")
          : searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return 2 * x"),
    });
    const result = await runPipeline(h.deps(root), h.options());
    expect(result.accepted).toEqual(["u1"]);
    expect(h.drafter.requests).toHaveLength(2);
    expect(lastUser(h.drafter.requests[1] as never)).toMatch(/failed to apply/);
    expect(h.reviewer.requests).toHaveLength(1);
    expect(h.events.filter((event) => event.type === "edit-failed")).toHaveLength(0);
  });

  it("escalates a low-confidence verdict to the planner with the feedback and attempts, after confirmation", async () => {
    const root = makeRepo();
    const asked: string[] = [];
    const h = harness({
      planner: (request) =>
        request.jsonSchema
          ? planAnswer({ summary: "s", units: [unit("u1", ["src/app/math.ts"])] })
          : wholeFile("src/app/math.ts", addMul),
      drafter: () => wholeFile("src/app/math.ts", "export const broken = true;\n"),
      reviewer: (_request, index) =>
        index === 0
          ? verdict("accept", { confidence: 0.4, feedback: "unsure the signature is kept" })
          : verdict("accept"),
    });
    const result = await runPipeline(
      h.deps(root, {
        confirm: async (request) => {
          asked.push(`${request.unitId}: ${request.reason}`);
          return true;
        },
      }),
      h.options("task", { policy: { ...defaultPolicy, warnBeforeEscalation: true } }),
    );
    expect(asked).toEqual(["u1: reviewer confidence 0.4 below 0.7"]);
    expect(result.accepted).toEqual(["u1"]);
    expect(result.units[0]?.author).toBe("planner");
    expect(result.escalations).toBe(1);
    const escalation = allText(h.planner.requests[1] as never);
    expect(escalation).toContain("unsure the signature is kept");
    expect(escalation).toContain("+export const broken = true;");
    expect(h.reviewer.requests).toHaveLength(2);
  });

  it("fails a unit whose escalation is declined and skips its dependents", async () => {
    const root = makeRepo();
    const h = harness({
      planner: () =>
        planAnswer({
          summary: "s",
          units: [
            unit("u1", ["src/app/math.ts"]),
            unit("u2", ["src/app/strings.ts"], { depends_on: ["u1"] }),
          ],
        }),
      drafter: () => wholeFile("src/app/math.ts", addMul),
      reviewer: () => verdict("escalate"),
    });
    const result = await runPipeline(
      h.deps(root, { confirm: async () => false }),
      h.options("task", { policy: { ...defaultPolicy, warnBeforeEscalation: true } }),
    );
    expect(result.failed).toEqual(["u1"]);
    expect(result.skipped).toEqual(["u2"]);
    expect(result.units[0]?.reason).toMatch(/escalation declined/);
    expect(result.escalations).toBe(0);
    expect(result.diff).toBe("");
  });

  it("splits a unit into sub-units that run in order", async () => {
    const root = makeRepo();
    const h = harness({
      planner: () => planAnswer({ summary: "s", units: [unit("u1", ["src/app/math.ts"])] }),
      drafter: (request) =>
        allText(request).includes("Unit u1.1")
          ? searchReplace("src/app/math.ts", "  return a + b;", "  return b + a;")
          : allText(request).includes("Unit u1.2")
            ? searchReplace("src/app/math.ts", "  return b + a;", "  return (b + a);")
            : wholeFile("src/app/math.ts", "x\n"),
      reviewer: (request) =>
        allText(request).includes("Unit u1:")
          ? verdict("split", {
              sub_units: [
                { goal: "swap", target_files: ["src/app/math.ts"], acceptance: ["swapped"] },
                { goal: "parenthesize", target_files: ["src/app/math.ts"], acceptance: ["parens"] },
              ],
            })
          : verdict("accept"),
    });
    const result = await runPipeline(h.deps(root), h.options());
    expect(result.units.map((item) => [item.id, item.status])).toEqual([
      ["u1", "accepted"],
      ["u1.1", "accepted"],
      ["u1.2", "accepted"],
    ]);
    expect(result.diff).toContain("+  return (b + a);");
  });

  it("retries an invalid plan once with the problems, then errors clearly", async () => {
    const root = makeRepo();
    const h = harness({
      planner: (_request, index) =>
        index === 0
          ? "not json at all"
          : planAnswer({ summary: "s", units: [unit("u1", ["src/app/math.ts"])] }),
      drafter: () => wholeFile("src/app/math.ts", addMul),
    });
    const result = await runPipeline(h.deps(root), h.options());
    expect(result.accepted).toEqual(["u1"]);
    expect(lastUser(h.planner.requests[1] as never)).toMatch(/Your plan was rejected/);

    const bad = harness({
      planner: () => planAnswer({ summary: "s", units: [unit("u1", ["../outside.ts"])] }),
      drafter: () => "",
    });
    await expect(runPipeline(bad.deps(root), bad.options())).rejects.toThrow(ModelOutputError);
    expect(bad.planner.requests).toHaveLength(2);
    expect(lastUser(bad.planner.requests[1] as never)).toContain(
      "target '../outside.ts' is outside the repository",
    );
  });

  it("reuses a cached plan: zero planner calls; a changed file invalidates it", async () => {
    const root = makeRepo();
    const cache = memoryPlanCache();
    const h = harness({
      planner: () => planAnswer({ summary: "s", units: [unit("u1", ["src/app/math.ts"])] }),
      drafter: () => wholeFile("src/app/math.ts", addMul),
    });
    await runPipeline(h.deps(root, { planCache: cache }), h.options());
    await runPipeline(h.deps(root, { planCache: cache }), h.options());
    expect(h.planner.requests).toHaveLength(1);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(root, "lib/deep/nested/util.py"), "def double(x):\n    return 2 * x\n");
    await planOnly(h.deps(root, { planCache: cache }), h.options());
    expect(h.planner.requests).toHaveLength(2);
  });

  it("orders units on the same file so the later one sees the earlier accepted edit", async () => {
    const root = makeRepo();
    const h = harness({
      planner: () =>
        planAnswer({
          summary: "s",
          units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["src/app/math.ts"])],
        }),
      drafter: (request) =>
        allText(request).includes("Unit u1")
          ? searchReplace("src/app/math.ts", "  return a + b;", "  return b + a;")
          : searchReplace("src/app/math.ts", "  return b + a;", "  return b + a + 0;"),
    });
    const result = await runPipeline(h.deps(root), h.options());
    expect(result.accepted).toEqual(["u1", "u2"]);
    expect(allText(h.drafter.requests[1] as never)).toContain("return b + a;");
    expect(result.diff).toContain("+  return b + a + 0;");
    expect(result.diff.match(/diff --git/g)).toHaveLength(1);
  });

  it("sends check errors straight back to the drafter and shows warnings to the reviewer", async () => {
    const root = makeRepo();
    let checks = 0;
    const checker: DraftChecker = {
      async check(_root, changes) {
        checks += 1;
        const text = changes[0]?.after ?? "";
        return text.includes("{{")
          ? [
              {
                check: "syntax",
                severity: "error",
                file: "src/app/math.ts",
                line: 1,
                message: "unexpected token",
              },
            ]
          : [{ check: "size", severity: "warning", file: "src/app/math.ts", message: "file grew" }];
      },
    };
    const h = harness({
      planner: () => planAnswer({ summary: "s", units: [unit("u1", ["src/app/math.ts"])] }),
      drafter: (_request, index) => wholeFile("src/app/math.ts", index === 0 ? "export {{\n" : addMul),
    });
    const result = await runPipeline(h.deps(root, { checker }), h.options());
    expect(checks).toBe(2);
    expect(lastUser(h.drafter.requests[1] as never)).toContain("unexpected token");
    expect(h.reviewer.requests).toHaveLength(1);
    expect(lastUser(h.reviewer.requests[0] as never)).toContain("[size] file grew");
    expect(result.units[0]?.findings.map((finding) => finding.message)).toEqual(["file grew"]);
  });

  it("runs the verify loop: new failures go back through the reviewer to the responsible unit", async () => {
    const root = makeRepo();
    const outcome = (ok: boolean, report = ""): VerifyOutcome => ({
      ok,
      command: "npm test",
      exitCode: ok ? 0 : 1,
      timedOut: false,
      durationMs: 5,
      report,
      failingTests: ok ? [] : ["math.test.ts > add"],
    });
    const verified: ChangedFile[][] = [];
    let disposed = false;
    const verifier: Verifier = {
      command: "npm test",
      baseline: async () => outcome(true),
      verify: async (changes) => {
        verified.push(changes);
        return verified.length === 1 ? outcome(false, "FAIL math.test.ts > add: expected 3") : outcome(true);
      },
      newFailures: (result) => result.failingTests,
      dispose: async () => {
        disposed = true;
      },
    };
    const h = harness({
      planner: () =>
        planAnswer({
          summary: "s",
          units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["src/app/strings.ts"])],
        }),
      drafter: (request) =>
        allText(request).includes("Unit u2")
          ? searchReplace(
              "src/app/strings.ts",
              "  return text.toUpperCase();",
              '  return text.toUpperCase() + "!";',
            )
          : allText(request).includes("Failing tests")
            ? searchReplace("src/app/math.ts", "  return a - b;", "  return a + b;")
            : searchReplace("src/app/math.ts", "  return a + b;", "  return a - b;"),
      reviewer: (request) =>
        lastUser(request).includes("tests fail")
          ? verdict("revise", { feedback: "add must add" })
          : verdict("accept"),
    });
    const result = await runPipeline(h.deps(root, { verifier }), h.options());
    expect(verified).toHaveLength(2);
    expect(result.verification?.verifiedUnits).toEqual(["u1", "u2"]);
    expect(result.verification?.rounds).toBe(1);
    expect(disposed).toBe(true);
    const redo = h.drafter.requests.find((request) => allText(request).includes("Failing tests"));
    expect(redo && lastUser(redo)).toContain("add must add");
    expect(result.diff).not.toContain("a - b");
    expect(result.applicable.map((change) => change.file)).toEqual(["src/app/strings.ts"]);
  });

  it("cancels in-flight calls on abort and logs it", async () => {
    const root = makeRepo();
    const controller = new AbortController();
    const h = harness({
      planner: () => planAnswer({ summary: "s", units: [unit("u1", ["src/app/math.ts"])] }),
      drafter: () => wholeFile("src/app/math.ts", addMul),
      drafterDelayMs: 10_000,
    });
    const started = Date.now();
    const run = runPipeline(h.deps(root, { signal: controller.signal }), h.options());
    setTimeout(() => controller.abort(), 50);
    await expect(run).rejects.toThrow(AbortError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.log.at(-1)?.type).toBe("aborted");
    expect(h.drafter.requests[0]?.signal?.aborted).toBe(true);
  });

  it("resumes from the log without repeating the plan or finished units", async () => {
    const root = makeRepo();
    const controller = new AbortController();
    const h = harness({
      planner: () =>
        planAnswer({
          summary: "s",
          units: [
            unit("u1", ["src/app/math.ts"]),
            unit("u2", ["src/app/strings.ts"], { depends_on: ["u1"] }),
          ],
        }),
      drafter: (request) => {
        if (allText(request).includes("Unit u2")) {
          controller.abort();
          return new Error("killed");
        }
        return wholeFile("src/app/math.ts", addMul);
      },
    });
    await expect(runPipeline(h.deps(root, { signal: controller.signal }), h.options())).rejects.toThrow(
      AbortError,
    );
    const { resume, task } = resumeFromLog(h.log, "run-1");
    expect(resume.results.map((result) => result.id)).toEqual(["u1"]);

    const h2 = harness({
      planner: () => new Error("the planner must not be called on resume"),
      drafter: () => searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text;"),
    });
    const result = await runPipeline(h2.deps(root), h2.options(task, { resume }));
    expect(h2.planner.requests).toHaveLength(0);
    expect(h2.drafter.requests).toHaveLength(1);
    expect(result.accepted).toEqual(["u1", "u2"]);
    expect(result.diff).toContain("+export const mul");
    expect(result.diff).toContain("+  return text;");
  });

  it("fails only the unit whose call broke, and keeps the others going", async () => {
    const root = makeRepo();
    const h = harness({
      planner: () =>
        planAnswer({
          summary: "s",
          units: [unit("u1", ["src/app/math.ts"]), unit("u2", ["src/app/strings.ts"])],
        }),
      drafter: (request) =>
        allText(request).includes("Unit u1")
          ? wholeFile("src/app/math.ts", addMul)
          : searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text;"),
      reviewer: (request) =>
        allText(request).includes("Unit u1")
          ? new ProviderError("server", "HTTP 500 from the reviewer", { provider: "reviewer-api" })
          : verdict("accept"),
    });
    const result = await runPipeline(h.deps(root), h.options());
    expect(result.failed).toEqual(["u1"]);
    expect(result.accepted).toEqual(["u2"]);
    expect(result.units[0]?.reason).toMatch(/a model call failed: HTTP 500/);
    expect(result.totals.reviewer.calls).toBe(2);
  });

  it("stops the run on configuration problems such as a missing model", async () => {
    const root = makeRepo();
    const h = harness({
      planner: () => planAnswer({ summary: "s", units: [unit("u1", ["src/app/math.ts"])] }),
      drafter: () => new ProviderError("model_not_found", "model 'x' not found", { provider: "local" }),
    });
    await expect(runPipeline(h.deps(root), h.options())).rejects.toThrow(/not found/);
    expect(h.log.at(-1)?.type).toBe("error");
  });

  it("restarts a unit whose sub-units were interrupted, dropping their partial edits", () => {
    const change = { file: "src/app/math.ts", before: "a", after: "b" };
    const sub = { id: "u1.1", status: "accepted", changes: [change] };
    const done = { id: "u2", status: "accepted", changes: [change] };
    const { resume } = resumeFromLog(
      [
        { type: "run", task: "t", runId: "r" },
        { type: "plan", plan: { summary: "s", units: [] }, profile: {}, fromCache: false },
        { type: "unit-result", unitId: "u1.1", topId: "u1", changes: [change], result: sub },
        { type: "unit-result", unitId: "u2", topId: "u2", changes: [change], result: done },
        { type: "escalation", approved: true },
      ],
      "r",
    );
    expect(resume.results.map((result) => result.id)).toEqual(["u2"]);
    expect(resume.acceptedOrder.map((entry) => entry.unitId)).toEqual(["u2"]);
    expect(resume.escalationsUsed).toBe(1);
    expect(() => resumeFromLog([{ type: "run", task: "t" }], "r")).toThrow(/before its plan was made/);
  });
});
