/**
 * The live view of a run on stderr, built only on the pipeline's typed events (src/pipeline/events.ts).
 *
 * Two renderers share one state:
 *  - live (a terminal, TERM not "dumb"): an in-place panel — one row per unit with its phase,
 *    revision badge and elapsed time, the test runs with a timer, tokens per role, and optionally a
 *    subscription quota bar — redrawn at most 10 times a second as a single write (no flicker);
 *  - plain (a pipe, a log, TERM=dumb): one line per change ("u1 reviewing", "u1 accepted 4.1s").
 * Notes that must stay (check findings, reviewer feedback, plan rejections) are printed above the
 * panel in both modes. Used by `hierocode run` and by the REPL's /run.
 */

import type { PipelineEvent, PipelineRole } from "../pipeline/events.js";
import type { CheckFinding } from "../pipeline/hooks.js";

export type UnitPhase =
  | "queued"
  | "drafting"
  | "checking"
  | "reviewing"
  | "revising"
  | "splitting"
  | "redirecting"
  | "escalating"
  | "accepted"
  | "failed"
  | "skipped";

export interface UnitRow {
  id: string;
  goal: string;
  phase: UnitPhase;
  /** Revisions asked for so far (reviewer "revise" or failed checks): the rN badge. */
  revision: number;
  parentId?: string;
  /** ms since epoch; undefined while queued. */
  startedAt?: number;
  finishedAt?: number;
  reason?: string;
  /** Complexity score 0–10 (the `unit-routed` event). */
  complexity?: number;
  /** The unit's drafter model (the `unit-routed` event). */
  drafter?: string;
  /** True when a router (matrix/learned) chose `drafter`; the panel then shows it. */
  chosen?: boolean;
}

export interface TestRun {
  phase: "baseline" | "round";
  round: number;
  command: string;
  startedAt: number;
  finishedAt?: number;
  ok?: boolean;
}

export interface RoleTokens {
  model?: string;
  calls: number;
  /** Prompt tokens including cache reads and writes. */
  inputTokens: number;
  outputTokens: number;
}

/** One subscription window for the quota bar (see app/usage.ts QuotaWindow). */
export interface QuotaLine {
  plan: string;
  used: number;
  limit: number;
  windowHours: number;
  /** When the oldest message leaves the window (ms since epoch). */
  frees?: number;
}

export interface ProgressState {
  runId?: string;
  task?: string;
  startedAt: number;
  /** "planning" until the plan is ready, then "running", "verifying", "finished". */
  stage: "starting" | "planning" | "running" | "verifying" | "finished";
  units: UnitRow[];
  tests: TestRun[];
  roles: Record<PipelineRole, RoleTokens>;
}

export function emptyProgress(now: number): ProgressState {
  const role = (): RoleTokens => ({ calls: 0, inputTokens: 0, outputTokens: 0 });
  return {
    startedAt: now,
    stage: "starting",
    units: [],
    tests: [],
    roles: { planner: role(), drafter: role(), reviewer: role() },
  };
}

const finishedPhases: ReadonlySet<UnitPhase> = new Set(["accepted", "failed", "skipped"]);

function unitRow(state: ProgressState, id: string, goal = ""): UnitRow {
  let row = state.units.find((unit) => unit.id === id);
  if (!row) {
    row = { id, goal, phase: "queued", revision: 0 };
    state.units.push(row);
  }
  return row;
}

function setPhase(row: UnitRow, phase: UnitPhase, now: number): boolean {
  if (finishedPhases.has(row.phase) && !finishedPhases.has(phase)) {
    // A unit re-opened after failing tests (review after failing tests) runs again.
    delete row.finishedAt;
  }
  row.startedAt ??= now;
  if (row.phase === phase) return false;
  row.phase = phase;
  if (finishedPhases.has(phase)) row.finishedAt = now;
  return true;
}

/**
 * Applies one event to the state; returns the unit rows whose phase changed (for the plain
 * renderer). Pure apart from mutating `state`.
 */
export function applyEvent(state: ProgressState, event: PipelineEvent, now: number): UnitRow[] {
  const changed: UnitRow[] = [];
  const phase = (id: string, next: UnitPhase) => {
    const row = unitRow(state, id);
    if (setPhase(row, next, now)) changed.push(row);
  };
  switch (event.type) {
    case "run-started":
      state.runId = event.runId;
      state.task = event.task;
      state.stage = "planning";
      break;
    case "plan-ready":
      state.stage = "running";
      for (const unit of event.plan.units) unitRow(state, unit.id, unit.goal).goal = unit.goal;
      break;
    case "unit-started":
      unitRow(state, event.unitId, event.goal).goal = event.goal;
      phase(event.unitId, "drafting");
      break;
    case "unit-routed": {
      const row = unitRow(state, event.unitId);
      row.complexity = event.complexity;
      row.drafter = event.model;
      row.chosen = event.mode !== "fixed";
      break;
    }
    case "call-started": {
      const role = state.roles[event.role];
      role.model = event.model;
      if (!event.unitId) break;
      const row = unitRow(state, event.unitId);
      if (event.role === "drafter") phase(event.unitId, row.revision > 0 ? "revising" : "drafting");
      else if (event.role === "reviewer") phase(event.unitId, "reviewing");
      else
        phase(
          event.unitId,
          event.purpose === "split"
            ? "splitting"
            : event.purpose === "redirect"
              ? "redirecting"
              : "escalating",
        );
      break;
    }
    case "call-finished": {
      const role = state.roles[event.role];
      role.calls += 1;
      role.inputTokens +=
        event.usage.inputTokens + event.usage.cacheReadTokens + event.usage.cacheWriteTokens;
      role.outputTokens += event.usage.outputTokens;
      if (event.role === "drafter" && event.unitId && event.outcome === "ok") phase(event.unitId, "checking");
      break;
    }
    case "check-findings":
      if (event.findings.some((finding) => finding.severity === "error")) {
        unitRow(state, event.unitId).revision += 1;
        phase(event.unitId, "revising");
      }
      break;
    case "verdict":
      if (event.effectiveAction === "revise") {
        unitRow(state, event.unitId).revision += 1;
        phase(event.unitId, "revising");
      } else if (event.effectiveAction === "split") phase(event.unitId, "splitting");
      else if (event.effectiveAction === "escalate") phase(event.unitId, "escalating");
      break;
    case "escalation":
      if (event.approved) phase(event.unitId, "escalating");
      break;
    case "redirect":
      // The drafter tries once more with the planner's direction: another revision.
      unitRow(state, event.unitId).revision += 1;
      phase(event.unitId, "revising");
      break;
    case "split": {
      const parent = unitRow(state, event.unitId);
      const at = state.units.indexOf(parent);
      const subs = event.subUnitIds.map(
        (id): UnitRow => ({ id, goal: "", phase: "queued", revision: 0, parentId: event.unitId }),
      );
      state.units.splice(at + 1, 0, ...subs.filter((sub) => !state.units.some((row) => row.id === sub.id)));
      break;
    }
    case "unit-finished": {
      const row = unitRow(state, event.unitId);
      if (event.reason) row.reason = event.reason;
      else delete row.reason;
      phase(event.unitId, event.status);
      break;
    }
    case "verify-started":
      state.tests.push({
        phase: event.phase,
        round: event.round,
        command: event.command,
        startedAt: now,
      });
      if (event.phase === "round") state.stage = "verifying";
      break;
    case "verify": {
      const run = [...state.tests]
        .reverse()
        .find((test) => test.phase === event.phase && test.round === event.round && !test.finishedAt);
      if (run) {
        run.finishedAt = now;
        run.ok = event.outcome.ok;
      }
      break;
    }
    case "run-finished":
      state.stage = "finished";
      break;
    default:
      break;
  }
  return changed;
}

/** "850ms", "4.1s", "2m05s", "1h02m". */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** 12345 → "12.3k", 999 → "999". */
export function formatTokens(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(count < 10_000 ? 1 : 0)}k`;
  return `${(count / 1_000_000).toFixed(1)}M`;
}

export interface Paint {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  cyan(text: string): string;
}

const identity = (text: string) => text;
export const noPaint: Paint = {
  green: identity,
  red: identity,
  yellow: identity,
  dim: identity,
  bold: identity,
  cyan: identity,
};

/**
 * A quota bar: `▰▰▰▱▱▱▱▱▱▱ 6/10 msgs (60%) · 5h window, frees 14:05`. Colour warns from 50% (yellow),
 * 75% (yellow, bold) and 90% (red); the numbers stay readable without colour.
 */
export function quotaBar(quota: QuotaLine, paint: Paint = noPaint, width = 10, now = Date.now()): string {
  const share = quota.limit > 0 ? Math.min(1, quota.used / quota.limit) : 0;
  const filled = Math.round(share * width);
  const bar = "▰".repeat(filled) + "▱".repeat(width - filled);
  const percent = Math.round(share * 100);
  const colour =
    percent >= 90
      ? paint.red
      : percent >= 75
        ? (text: string) => paint.bold(paint.yellow(text))
        : percent >= 50
          ? paint.yellow
          : paint.green;
  const frees =
    quota.frees !== undefined && quota.used > 0
      ? `, frees ${quota.frees - now < 86_400_000 ? new Date(quota.frees).toTimeString().slice(0, 5) : new Date(quota.frees).toISOString().slice(0, 16).replace("T", " ")}`
      : "";
  return `${colour(bar)} ${quota.used}/${quota.limit} msgs (${percent}%) · ${quota.plan} ${quota.windowHours}h window${frees}`;
}

const spinnerFrames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

function glyph(row: UnitRow, frame: number, paint: Paint): string {
  switch (row.phase) {
    case "queued":
      return paint.dim("·");
    case "accepted":
      return paint.green("✓");
    case "failed":
      return paint.red("✗");
    case "skipped":
      return paint.yellow("–");
    default:
      return paint.cyan(spinnerFrames[frame % spinnerFrames.length] ?? "·");
  }
}

function phaseLabel(row: UnitRow, paint: Paint): string {
  const badge = row.revision > 0 ? ` r${row.revision}` : "";
  const text = `${row.phase}${badge}`;
  if (row.phase === "accepted") return paint.green(text);
  if (row.phase === "failed") return paint.red(text);
  if (row.phase === "skipped" || row.phase === "escalating" || row.phase === "redirecting")
    return paint.yellow(text);
  if (row.phase === "queued") return paint.dim(text);
  return text;
}

/** Cuts a line to `columns` visible characters (ANSI colour codes do not count). */
export function fitLine(line: string, columns: number): string {
  let visible = 0;
  let out = "";
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index] as string;
    if (char === "\u001b") {
      const match = /^\u001b\[[0-9;]*m/.exec(line.slice(index));
      if (match) {
        out += match[0];
        index += match[0].length - 1;
        continue;
      }
    }
    if (visible >= columns - 1) return `${out}…\u001b[0m`;
    out += char;
    visible += 1;
  }
  return out;
}

/** The panel's lines (no trailing newline), for a terminal `columns` wide. */
export function renderPanel(
  state: ProgressState,
  options: {
    now: number;
    frame: number;
    paint: Paint;
    quota?: QuotaLine[];
    columns: number;
    /** Terminal height: the panel never exceeds it (in-place redraws cannot reach above the screen). */
    rows?: number;
  },
): string[] {
  const { now, frame, paint } = options;
  const lines: string[] = [];
  const elapsed = formatElapsed(now - state.startedAt);
  const spin = paint.cyan(spinnerFrames[frame % spinnerFrames.length] ?? "");
  if (state.stage === "planning" || state.stage === "starting") {
    const planner = state.roles.planner.model ? ` (${state.roles.planner.model})` : "";
    lines.push(`${spin} planning${planner} · ${elapsed}`);
  } else {
    const done = state.units.filter((row) => finishedPhases.has(row.phase)).length;
    lines.push(
      `${state.stage === "finished" ? paint.green("✓") : spin} ${state.stage} · ${done}/${state.units.length} units · ${elapsed}${state.runId ? paint.dim(` · run ${state.runId}`) : ""}`,
    );
  }
  const idWidth = Math.min(12, Math.max(2, ...state.units.map((row) => row.id.length)));
  // Too many units for the screen: finished units first give way to a one-line count.
  const fixedLines = 1 + state.tests.length + 1 + (options.quota?.length ?? 0);
  const room = Math.max(3, (options.rows ?? Number.POSITIVE_INFINITY) - 1 - fixedLines);
  let shown = state.units;
  let hiddenLine: string | undefined;
  if (shown.length > room) {
    const open = shown.filter((row) => !finishedPhases.has(row.phase));
    const keep = new Set(open.slice(0, room - 1));
    shown = shown.filter((row) => keep.has(row));
    const hidden = state.units.filter((row) => !keep.has(row));
    const count = (phase: UnitPhase) => hidden.filter((row) => row.phase === phase).length;
    hiddenLine = paint.dim(
      `  … ${hidden.length} more: ${count("accepted")} accepted, ${count("failed")} failed, ${count("skipped")} skipped, ${count("queued")} queued${hidden.length - count("accepted") - count("failed") - count("skipped") - count("queued") > 0 ? `, ${hidden.length - count("accepted") - count("failed") - count("skipped") - count("queued")} working` : ""}`,
    );
  }
  for (const row of shown) {
    const time = row.startedAt === undefined ? "" : formatElapsed((row.finishedAt ?? now) - row.startedAt);
    const indent = row.parentId ? "  " : "";
    const label = phaseLabel(row, paint);
    const labelWidth = row.phase.length + (row.revision > 0 ? ` r${row.revision}`.length : 0);
    lines.push(
      `  ${indent}${glyph(row, frame, paint)} ${row.id.padEnd(idWidth)}  ${label}${" ".repeat(Math.max(1, 14 - labelWidth))}${paint.dim(time.padStart(6))}  ${routeTag(row, paint)}${row.goal}`,
    );
  }
  if (hiddenLine) lines.push(hiddenLine);
  for (const test of state.tests) {
    const name = test.phase === "baseline" ? "baseline" : `verify round ${test.round + 1}`;
    const time = formatElapsed((test.finishedAt ?? now) - test.startedAt);
    const status =
      test.finishedAt === undefined
        ? `${spin} running`
        : test.ok
          ? paint.green("✓ passed")
          : paint.yellow("✗ failing");
    lines.push(`  tests ${name}: ${status} ${paint.dim(time)} ${paint.dim(`(${test.command})`)}`);
  }
  const roleParts = (["planner", "drafter", "reviewer"] as const)
    .filter((role) => state.roles[role].model || state.roles[role].calls > 0)
    .map((role) => {
      const item = state.roles[role];
      return `${role} ${item.model ?? "?"} ${formatTokens(item.inputTokens)}→${formatTokens(item.outputTokens)}`;
    });
  if (roleParts.length > 0) lines.push(paint.dim(`  tokens in→out: ${roleParts.join(" · ")}`));
  for (const quota of options.quota ?? []) lines.push(`  quota ${quotaBar(quota, paint, 10, now)}`);
  return lines.map((line) => fitLine(line, options.columns));
}

/** `c2.1 → qwen2.5-coder:1.5b  ` (complexity, and the drafter the router chose), or "" before routing. */
function routeTag(row: UnitRow, paint: Paint): string {
  if (row.complexity === undefined) return "";
  const complexity = `c${row.complexity.toFixed(1)}`;
  return `${paint.dim(complexity)}${row.chosen && row.drafter ? ` ${paint.cyan(`→ ${row.drafter}`)}` : ""}  `;
}

/** The plain-mode line for a `unit-routed` event: `u1 complexity 2.1 (simple, refactor) → api/claude-haiku-4-5`. */
export function routedLine(event: Extract<PipelineEvent, { type: "unit-routed" }>, paint: Paint): string {
  const drafter = event.mode === "fixed" ? "" : ` → ${event.provider}/${event.model}`;
  return `${event.unitId} ${paint.dim(`complexity ${event.complexity.toFixed(1)} (${event.band}, ${event.kind})`)}${drafter}`;
}

function findingLine(unitId: string, finding: CheckFinding, paint: Paint): string {
  const where = `${finding.file}${finding.line ? `:${finding.line}` : ""}`;
  const severity = finding.severity === "error" ? paint.red("error") : paint.yellow(finding.severity);
  return `${unitId}: ${finding.check} check ${severity} ${where}: ${finding.message}`;
}

/** Lines that stay in the scrollback (both modes), or undefined. */
export function noteFor(event: PipelineEvent, paint: Paint, debug = false): string[] {
  switch (event.type) {
    case "contexts":
      return debug
        ? event.contexts.map((context) =>
            paint.dim(
              `debug: num_ctx ${context.numCtx} for ${context.provider}/${context.model} (${context.roles.join(", ")}; window ${context.window ?? "unknown"})${context.notes.length > 0 ? `: ${context.notes.join("; ")}` : ""}`,
            ),
          )
        : [];
    case "warning":
      return [paint.yellow(`warning: ${event.message}`)];
    case "json-repaired":
      return debug
        ? [paint.dim(`debug: ${event.role} ${event.purpose}: repaired ${event.repairs.join("; ")}`)]
        : [];
    case "plan-ready":
      return [
        paint.dim(
          `plan: ${event.plan.units.length} unit(s)${event.fromCache ? " (cached, no planner call)" : ""}${event.fromLog ? " (from the run log)" : ""}`,
        ),
      ];
    case "plan-invalid":
      return [paint.yellow(`plan rejected (attempt ${event.attempt}): ${event.problems[0] ?? ""}`)];
    case "escalation":
      return [
        event.approved
          ? paint.dim(`${event.unitId}: escalated to the planner (${event.reason})`)
          : paint.yellow(`escalation of ${event.unitId} declined`),
      ];
    case "redirect":
      return [
        paint.dim(
          `${event.unitId}: planner redirect (${event.usage.outputTokens} tokens${event.truncated ? ", cut at the cap" : ""}): ${event.direction.split("\n")[0]}`,
        ),
      ];
    case "verdict": {
      if (event.effectiveAction === "accept") return [];
      const feedback = event.verdict.feedback ? `: ${event.verdict.feedback.split("\n")[0]}` : "";
      return [paint.dim(`${event.unitId}: reviewer says ${event.effectiveAction}${feedback}`)];
    }
    case "edit-failed":
      return [
        paint.dim(`${event.unitId}: the draft's edit did not apply (attempt ${event.attempt}); asking again`),
      ];
    case "check-findings":
      return event.findings.map((finding) => findingLine(event.unitId, finding, paint));
    case "split":
      return [paint.dim(`${event.unitId}: split into ${event.subUnitIds.join(", ")}`)];
    case "secrets-redacted": {
      const parts: string[] = [];
      if (event.count > 0)
        parts.push(
          `replaced ${event.count} secret${event.count === 1 ? "" : "s"} (${event.rules.join(", ")}) with placeholders`,
        );
      if (event.withheldFiles.length > 0) parts.push(`withheld ${event.withheldFiles.join(", ")}`);
      return [
        `${paint.yellow("warning:")} ${event.unitId ? `${event.unitId}: ` : ""}${parts.join("; ")} before sending to the ${event.role}; edits get the real values back locally`,
      ];
    }
    case "verify": {
      if (event.outcome.ok) return [];
      const label =
        event.phase === "baseline"
          ? event.outcome.timedOut
            ? "baseline test run timed out (no baseline to compare with)"
            : "baseline tests already fail"
          : `tests ${event.outcome.timedOut ? "timed out" : "fail"} (round ${event.round + 1})`;
      return [
        paint.dim(
          `verify: ${label}${event.newFailures.length ? `; new: ${event.newFailures.slice(0, 3).join(", ")}` : ""}`,
        ),
      ];
    }
    default:
      return [];
  }
}

export interface ProgressViewOptions {
  /** Where the view writes (stderr for `run`). */
  stream: NodeJS.WritableStream;
  /** In-place panel (a terminal) or one plain line per change. */
  live: boolean;
  paint: Paint;
  /** Also print debug notes (repaired JSON answers). */
  debug?: boolean;
  /** Redraws per second at most (≤ 10). */
  fps?: number;
  now?: () => number;
  /** Subscription windows for the quota bar, re-read after each model call (REPL). */
  quota?: () => QuotaLine[];
  /** Terminal width; the panel's lines are cut to it so in-place redraws never wrap. */
  columns?: () => number;
  /** Terminal height; the panel is kept below it. */
  rows?: () => number;
}

/**
 * Chooses the renderer: live only on a terminal whose TERM is not "dumb".
 * Source: TERM=dumb is the convention for terminals without cursor movement (Emacs shell, CI logs).
 */
export function wantsLiveView(
  stream: NodeJS.WritableStream,
  env: Record<string, string | undefined>,
): boolean {
  return Boolean((stream as { isTTY?: boolean }).isTTY) && env.TERM !== "dumb";
}

/** The run's view: feed it every PipelineEvent; call stop() when the run ends (or fails). */
export class ProgressView {
  readonly state: ProgressState;
  private readonly options: ProgressViewOptions;
  private readonly now: () => number;
  private drawnLines = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopped = false;
  private quotaLines: QuotaLine[] = [];
  private lastTests = new Map<TestRun, boolean>();
  /** Units whose routing line was printed (plain mode; a redo after failing tests routes again). */
  private readonly routedShown = new Set<string>();

  constructor(options: ProgressViewOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.state = emptyProgress(this.now());
    this.refreshQuota();
    if (options.live) {
      const interval = Math.max(100, Math.round(1000 / Math.min(10, options.fps ?? 10)));
      this.timer = setInterval(() => {
        this.frame += 1;
        this.draw();
      }, interval);
      this.timer.unref();
    }
  }

  /** The EventSink to hand to the pipeline. */
  readonly handle = (event: PipelineEvent): void => {
    if (this.stopped) return;
    const changed = applyEvent(this.state, event, this.now());
    if (event.type === "call-finished") this.refreshQuota();
    const notes = noteFor(event, this.options.paint, this.options.debug);
    if (this.options.live) {
      if (notes.length > 0) this.printAbove(notes);
    } else {
      for (const line of notes) this.write(`${line}\n`);
      if (event.type === "unit-routed" && !this.routedShown.has(event.unitId)) {
        this.routedShown.add(event.unitId);
        this.write(`${routedLine(event, this.options.paint)}\n`);
      }
      for (const row of changed) this.write(`${this.plainLine(row)}\n`);
      this.plainTests();
    }
  };

  /** Draws the panel now (a live view also redraws itself up to 10 times a second). */
  render(): void {
    this.draw();
  }

  /** Clears the panel (before a question is asked on a clean line). */
  pause(): void {
    this.clear();
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.draw();
  }

  /** Prints lines that stay (above the panel). */
  printAbove(lines: string[]): void {
    const text = lines.map((line) => `${line}\n`).join("");
    if (!this.options.live || this.paused || this.stopped) {
      this.write(text);
      return;
    }
    this.draw(text);
  }

  /** Stops the timer and removes the panel (the summary follows). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  private refreshQuota(): void {
    if (!this.options.quota) return;
    try {
      this.quotaLines = this.options.quota();
    } catch {
      this.quotaLines = [];
    }
  }

  private plainLine(row: UnitRow): string {
    const paint = this.options.paint;
    const time =
      finishedPhases.has(row.phase) && row.startedAt !== undefined
        ? ` ${formatElapsed((row.finishedAt ?? this.now()) - row.startedAt)}`
        : "";
    const model =
      row.phase === "drafting" || row.phase === "revising"
        ? (row.drafter ?? this.state.roles.drafter.model)
        : row.phase === "reviewing"
          ? this.state.roles.reviewer.model
          : row.phase === "escalating" || row.phase === "splitting" || row.phase === "redirecting"
            ? this.state.roles.planner.model
            : undefined;
    const reason = row.reason && row.phase !== "accepted" ? paint.dim(` — ${row.reason}`) : "";
    return `${row.id} ${phaseLabel(row, paint)}${model ? paint.dim(` (${model})`) : ""}${paint.dim(time)}${reason}`;
  }

  private plainTests(): void {
    for (const test of this.state.tests) {
      const reported = this.lastTests.get(test);
      const name = test.phase === "baseline" ? "baseline" : `verify round ${test.round + 1}`;
      if (reported === undefined) {
        this.write(`tests ${name}: running \`${test.command}\`\n`);
        this.lastTests.set(test, false);
      }
      if (test.finishedAt !== undefined && this.lastTests.get(test) === false) {
        this.write(
          `tests ${name}: ${test.ok ? "passed" : "failing"} in ${formatElapsed(test.finishedAt - test.startedAt)}\n`,
        );
        this.lastTests.set(test, true);
      }
    }
  }

  private write(text: string): void {
    this.options.stream.write(text);
  }

  private clear(): void {
    if (!this.options.live || this.drawnLines === 0) return;
    // Up to the panel's first line, then erase to the end of the screen.
    this.write(`\r\u001b[${this.drawnLines}A\u001b[J`);
    this.drawnLines = 0;
  }

  /** One write per frame: the old panel overwritten in place, `above` kept above the new one. */
  private draw(above = ""): void {
    if (!this.options.live || this.paused || this.stopped) return;
    const columns = this.options.columns?.() ?? (this.options.stream as { columns?: number }).columns ?? 80;
    const lines = renderPanel(this.state, {
      now: this.now(),
      frame: this.frame,
      paint: this.options.paint,
      quota: this.quotaLines,
      columns,
      rows: this.options.rows?.() ?? (this.options.stream as { rows?: number }).rows ?? 24,
    });
    // Move up over the old panel, rewrite each line, erase what is left below.
    const up = this.drawnLines > 0 ? `\r\u001b[${this.drawnLines}A` : "\r";
    const kept = above ? `\u001b[J${above}` : "";
    const body = lines.map((line) => `\u001b[2K${line}\n`).join("");
    this.write(`${up}${kept}${body}\u001b[J`);
    this.drawnLines = lines.length;
  }
}
