/**
 * The run's progress view, fed the pipeline's typed events: plain lines off a terminal, an
 * in-place panel on one (checked through a terminal emulator: the screen shows one panel, not a
 * trail of copies), findings always shown, quota bars with their warning thresholds.
 */
import { Writable } from "node:stream";
import xterm from "@xterm/headless";
import { describe, expect, it } from "vitest";
import { applyEvent, emptyProgress, ProgressView, quotaBar } from "../../src/cli/progress.js";
import type { PipelineEvent } from "../../src/pipeline/events.js";
import { unit } from "../pipeline/support/harness.js";

const usage = { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0 };
const finished = (role: "planner" | "drafter" | "reviewer", unitId?: string): PipelineEvent => ({
  type: "call-finished",
  role,
  model: role === "drafter" ? "qwen2.5-coder:7b" : "claude-sonnet-4-6",
  purpose: "x",
  ...(unitId ? { unitId } : {}),
  usage,
  costUsd: 0,
  latencyMs: 10,
  outcome: "ok",
});
const started = (
  role: "planner" | "drafter" | "reviewer",
  unitId?: string,
  purpose = "x",
): PipelineEvent => ({
  type: "call-started",
  role,
  model: role === "drafter" ? "qwen2.5-coder:7b" : "claude-sonnet-4-6",
  purpose,
  ...(unitId ? { unitId } : {}),
});
const verdict = (unitId: string, action: "accept" | "revise"): PipelineEvent => ({
  type: "verdict",
  unitId,
  verdict: {
    action,
    feedback: action === "revise" ? "handle zero" : "",
    issues: [],
    confidence: 0.9,
    sub_units: [],
  },
  effectiveAction: action,
});
const outcome = {
  ok: true,
  command: "npm test",
  exitCode: 0,
  timedOut: false,
  durationMs: 5,
  report: "",
  failingTests: [],
};

const script: PipelineEvent[] = [
  { type: "run-started", runId: "r-1", task: "t", resumed: false },
  { type: "verify-started", phase: "baseline", round: 0, command: "npm test" },
  started("planner", undefined, "plan"),
  finished("planner"),
  {
    type: "plan-ready",
    plan: { summary: "s", units: [unit("u1", ["a.ts"]), unit("u2", ["b.ts"]), unit("u3", ["c.ts"])] },
    fromCache: false,
    fromLog: false,
  },
  { type: "unit-started", unitId: "u1", goal: "goal u1" },
  started("drafter", "u1"),
  finished("drafter", "u1"),
  {
    type: "check-findings",
    unitId: "u1",
    findings: [
      { check: "secret", severity: "error", file: "a.ts", line: 3, message: "looks like an AWS key" },
    ],
  },
  started("drafter", "u1"),
  finished("drafter", "u1"),
  started("reviewer", "u1"),
  finished("reviewer", "u1"),
  verdict("u1", "revise"),
  started("drafter", "u1"),
  finished("drafter", "u1"),
  started("reviewer", "u1"),
  verdict("u1", "accept"),
  { type: "unit-finished", unitId: "u1", status: "accepted" },
  { type: "verify", phase: "baseline", round: 0, outcome, newFailures: [] },
  { type: "unit-started", unitId: "u2", goal: "goal u2" },
  started("drafter", "u2"),
  { type: "unit-finished", unitId: "u2", status: "failed", reason: "edit did not apply" },
];

class Collect extends Writable {
  text = "";
  isTTY = false;
  columns = 100;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe("progress view", () => {
  it("tracks each unit's phase, the revision badge and tokens per role", () => {
    const state = emptyProgress(0);
    const phases: string[] = [];
    let now = 0;
    for (const event of script) {
      now += 100;
      for (const row of applyEvent(state, event, now)) if (row.id === "u1") phases.push(row.phase);
    }
    expect(phases).toEqual([
      "drafting",
      "checking",
      "revising",
      "checking",
      "reviewing",
      "revising",
      "checking",
      "reviewing",
      "accepted",
    ]);
    const u1 = state.units.find((row) => row.id === "u1");
    expect(u1?.revision).toBe(2);
    expect(state.units.map((row) => row.phase)).toEqual(["accepted", "failed", "queued"]);
    expect(state.roles.drafter).toMatchObject({ calls: 3, inputTokens: 3600, outputTokens: 900 });
    expect(state.tests[0]).toMatchObject({ phase: "baseline", ok: true });
  });

  it("off a terminal prints one plain line per change, check findings included", () => {
    const stream = new Collect();
    let now = 0;
    const view = new ProgressView({ stream, live: false, paint: noColour(), now: () => now });
    for (const event of script) {
      now += 250;
      view.handle(event);
    }
    view.stop();
    const lines = stream.text.trimEnd().split("\n");
    expect(lines).toContain("tests baseline: running `npm test`");
    expect(lines).toContain("u1: secret check error a.ts:3: looks like an AWS key");
    expect(lines).toContain("u1 revising r1 (qwen2.5-coder:7b)");
    expect(lines).toContain("u1: reviewer says revise: handle zero");
    expect(lines.some((line) => /^u1 accepted r2 \d/.test(line))).toBe(true);
    expect(lines, lines.join("\n")).toContain("u2 failed 500ms — edit did not apply");
    expect(lines.some((line) => /^tests baseline: passed in /.test(line))).toBe(true);
    expect(stream.text).not.toContain("\u001b[");
  });

  it("shows the planner's redirect: its phase, then the line with its tokens and direction", () => {
    const stream = new Collect();
    const view = new ProgressView({ stream, live: false, paint: noColour(), now: () => 0 });
    const usage = { inputTokens: 900, outputTokens: 23, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const events: PipelineEvent[] = [
      { type: "unit-started", unitId: "u1", goal: "g" },
      { type: "call-started", role: "planner", model: "claude-opus-4-8", purpose: "redirect", unitId: "u1" },
      {
        type: "redirect",
        unitId: "u1",
        reason: "low confidence",
        direction: "Keep add.\nMore.",
        usage,
        truncated: false,
      },
      { type: "call-started", role: "drafter", model: "qwen2.5-coder:7b", purpose: "draft 2", unitId: "u1" },
    ];
    for (const event of events) view.handle(event);
    view.stop();
    const lines = stream.text.trimEnd().split("\n");
    expect(lines).toContain("u1 redirecting (claude-opus-4-8)");
    expect(lines).toContain("u1: planner redirect (23 tokens): Keep add.");
    expect(lines, lines.join("\n")).toContain("u1 revising r1");
  });

  it("on a terminal redraws one panel in place, with findings kept above it", async () => {
    const stream = new Collect();
    stream.isTTY = true;
    let now = 0;
    const view = new ProgressView({
      stream,
      live: true,
      paint: noColour(),
      now: () => now,
      quota: () => [{ plan: "claude-pro", used: 27, limit: 45, windowHours: 5 }],
    });
    for (const event of script) {
      now += 250;
      view.handle(event);
      view.render();
    }
    const screen = await emulate(stream.text);
    view.stop();
    expect(screen.match(/running · 2\/3 units/g)).toHaveLength(1);
    expect(screen).toContain("u1: secret check error a.ts:3: looks like an AWS key");
    expect(screen).toMatch(/✓ u1 +accepted r2/);
    expect(screen).toMatch(/✗ u2 +failed/);
    expect(screen).toMatch(/· u3 +queued/);
    expect(screen).toContain("tests baseline: ✓ passed");
    expect(screen).toContain("drafter qwen2.5-coder:7b 3.6k→900");
    expect(screen).toContain("quota ▰▰▰▰▰▰▱▱▱▱ 27/45 msgs (60%)");
    // The findings line appears once, above the panel; the panel is the last thing on screen.
    expect(screen.indexOf("looks like an AWS key")).toBeLessThan(screen.indexOf("running · 2/3"));
    // stop() removes the panel, so the summary that follows starts on a clean line.
    const cleared = await emulate(stream.text);
    expect(cleared).not.toContain("running · 2/3");
    expect(cleared).toContain("looks like an AWS key");
  });

  it("quota bars warn from 50%, 75% and 90%", () => {
    const paint = {
      ...noColour(),
      red: (t: string) => `R(${t})`,
      yellow: (t: string) => `Y(${t})`,
      green: (t: string) => `G(${t})`,
    };
    expect(quotaBar({ plan: "pro", used: 0, limit: 45, windowHours: 5 }, paint)).toBe(
      "G(▱▱▱▱▱▱▱▱▱▱) 0/45 msgs (0%) · pro 5h window",
    );
    expect(quotaBar({ plan: "pro", used: 27, limit: 45, windowHours: 5 }, paint)).toMatch(
      /^Y\(▰{6}▱{4}\) 27\/45 msgs \(60%\)/,
    );
    expect(quotaBar({ plan: "pro", used: 43, limit: 45, windowHours: 5 }, paint)).toMatch(
      /^R\(▰{10}\) 43\/45 msgs \(96%\)/,
    );
  });
});

function noColour() {
  const same = (text: string) => text;
  return { green: same, red: same, yellow: same, dim: same, bold: same, cyan: same };
}

async function emulate(text: string): Promise<string> {
  const terminal = new xterm.Terminal({ cols: 100, rows: 30, allowProposedApi: true });
  await new Promise<void>((resolve) => terminal.write(text.replace(/\n/g, "\r\n"), resolve));
  const buffer = terminal.buffer.active;
  const lines: string[] = [];
  for (let index = 0; index < buffer.length; index += 1)
    lines.push(buffer.getLine(index)?.translateToString(true) ?? "");
  terminal.dispose();
  return lines.join("\n").trimEnd();
}

describe("choosing the renderer", () => {
  it("is live only on a terminal whose TERM is not dumb", async () => {
    const { wantsLiveView } = await import("../../src/cli/progress.js");
    const tty = Object.assign(new Collect(), { isTTY: true });
    expect(wantsLiveView(tty, { TERM: "xterm-256color" })).toBe(true);
    expect(wantsLiveView(tty, { TERM: "dumb" })).toBe(false);
    expect(wantsLiveView(new Collect(), { TERM: "xterm-256color" })).toBe(false);
  });
});

describe("a panel taller than the terminal", () => {
  it("keeps the units still working and counts the rest in one line", async () => {
    const { renderPanel } = await import("../../src/cli/progress.js");
    const state = emptyProgress(0);
    const units = Array.from({ length: 30 }, (_, index) => unit(`u${index + 1}`, [`f${index}.ts`]));
    applyEvent(
      state,
      { type: "plan-ready", plan: { summary: "s", units }, fromCache: false, fromLog: false },
      1,
    );
    for (let index = 1; index <= 20; index += 1)
      applyEvent(state, { type: "unit-finished", unitId: `u${index}`, status: "accepted" }, 2);
    applyEvent(state, { type: "unit-started", unitId: "u21", goal: "goal" }, 3);
    const lines = renderPanel(state, { now: 10, frame: 0, paint: noColour(), columns: 100, rows: 12 });
    expect(lines.length).toBeLessThan(12);
    expect(lines.some((line) => /u21 +drafting/.test(line))).toBe(true);
    expect(lines.some((line) => /u1 +accepted/.test(line))).toBe(false);
    expect(lines).toContain("  … 22 more: 20 accepted, 0 failed, 0 skipped, 2 queued");
  });
});

describe("complexity and the routed drafter in the view", () => {
  const routed = (
    unitId: string,
    complexity: number,
    mode: "fixed" | "matrix" | "learned",
    model: string,
  ): PipelineEvent => ({
    type: "unit-routed",
    unitId,
    complexity,
    band: complexity < 2 ? "trivial" : "simple",
    kind: "edit",
    provider: model.startsWith("claude") ? "api" : "local",
    model,
    mode,
    routed: model.startsWith("claude"),
    reason: "matrix: …",
  });
  const plan: PipelineEvent = {
    type: "plan-ready",
    plan: { summary: "s", units: [unit("u1", ["a.ts"]), unit("u2", ["b.ts"])] },
    fromCache: false,
    fromLog: false,
  };
  const apiDraft: PipelineEvent = {
    type: "call-started",
    role: "drafter",
    model: "claude-haiku-4-5",
    purpose: "draft 1",
    unitId: "u1",
  };

  it("the panel shows each unit's complexity and the drafter the router chose", async () => {
    const stream = new Collect();
    stream.isTTY = true;
    const view = new ProgressView({ stream, live: true, paint: noColour(), now: () => 1000 });
    for (const event of [
      plan,
      routed("u1", 3.2, "matrix", "claude-haiku-4-5"),
      { type: "unit-started", unitId: "u1", goal: "goal u1" } as PipelineEvent,
      apiDraft,
      routed("u2", 0.4, "matrix", "qwen2.5-coder:7b"),
      { type: "unit-started", unitId: "u2", goal: "goal u2" } as PipelineEvent,
    ])
      view.handle(event);
    view.render();
    const screen = await emulate(stream.text);
    view.stop();
    expect(screen).toMatch(/u1 +drafting +\S+ +c3\.2 → claude-haiku-4-5 +goal u1/);
    expect(screen).toMatch(/u2 +drafting +\S+ +c0\.4 → qwen2\.5-coder:7b +goal u2/);
  });

  it("the service and MCP progress lines say the same", async () => {
    const { eventMessage } = await import("../../src/queue/execute.js");
    expect(eventMessage(routed("u1", 3.2, "matrix", "claude-haiku-4-5"))).toBe(
      "unit u1: complexity 3.2 (simple, edit) → api/claude-haiku-4-5",
    );
    expect(eventMessage(routed("u2", 0.4, "fixed", "qwen2.5-coder:7b"))).toBe(
      "unit u2: complexity 0.4 (trivial, edit)",
    );
  });

  it("off a terminal: one routing line per unit, and the drafting line names the routed model", () => {
    const stream = new Collect();
    const view = new ProgressView({ stream, live: false, paint: noColour(), now: () => 0 });
    for (const event of [
      plan,
      routed("u1", 3.2, "learned", "claude-haiku-4-5"),
      { type: "unit-started", unitId: "u1", goal: "goal u1" } as PipelineEvent,
      apiDraft,
      // A redo after failing tests routes the unit again: no second routing line.
      routed("u1", 3.2, "learned", "claude-haiku-4-5"),
      routed("u2", 0.4, "fixed", "qwen2.5-coder:7b"),
      { type: "unit-started", unitId: "u2", goal: "goal u2" } as PipelineEvent,
    ])
      view.handle(event);
    view.stop();
    expect(stream.text.trimEnd().split("\n")).toEqual([
      "plan: 2 unit(s)",
      "u1 complexity 3.2 (simple, edit) → api/claude-haiku-4-5",
      "u1 drafting (claude-haiku-4-5)",
      // fixed mode: the complexity only, the role's own model drafts.
      "u2 complexity 0.4 (trivial, edit)",
      "u2 drafting (qwen2.5-coder:7b)",
    ]);
  });
});
