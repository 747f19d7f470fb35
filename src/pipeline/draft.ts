/**
 * One drafting attempt for a unit: pack the drafter's window, choose the edit format per file,
 * call the drafter with the allocated context (`numCtx`), and run the reply through the edit
 * engine. An edit that fails to apply goes back to the drafter with the engine's report (up to
 * `maxEditRetries` times) before anyone pays a reviewer for it.
 */
import type { ChatMessage } from "../providers/spec.js";
import type { CapacityProfile } from "./capacity.js";
import type { ChangedFile } from "./hooks.js";
import type { ModelCaller } from "./model-call.js";
import type { PlanUnit } from "./plan-schema.js";
import type { ContextPacker, EditEngine, TokenCounter } from "./ports.js";
import { drafterSystem, drafterUserPrompt, type FileFormat, fileBlock } from "./prompts.js";

export interface DraftEnvironment {
  task: string;
  profile: CapacityProfile;
  counter: TokenCounter;
  caller: ModelCaller;
  edits: EditEngine;
  /** Reads through the overlay: the repository plus every edit accepted so far. */
  read(path: string): string | null;
  maxEditRetries: number;
  /** Symbol-aware packing (large targets cut to the relevant symbols); the basic packer otherwise. */
  packer?: ContextPacker;
}

export type DraftOutcome =
  | { ok: true; changes: ChangedFile[]; diff: string; editRetries: number }
  | { ok: false; kind: "too-big"; reason: string }
  | {
      ok: false;
      kind: "edits-failed" | "truncated" | "no-change";
      reason: string;
      report: string;
      diff: string;
      editRetries: number;
    };

export interface PackedInput {
  formats: Map<string, FileFormat>;
  fileBlocks: string[];
  contextBlocks: string[];
  notes: string[];
  /** Tokens of the target files (whole-file output needs room for them again). */
  wholeFileOutputTokens: number;
  usedTokens: number;
  fits: boolean;
  /**
   * Every file went in whole: no target cut to an excerpt, no context file left out or shown as
   * signatures. With `fits` and whole-file formats, packing with an upper bound of the counts
   * then gave exactly what exact counts would (see `draftUnit`).
   */
  allWhole?: boolean;
  reason?: string;
}

/** Whole file for new and small files and for micro models; SEARCH/REPLACE for the rest. */
export function chooseFormat(
  content: string | null,
  profile: CapacityProfile,
  counter: TokenCounter,
): FileFormat {
  if (content === null) return "whole-file";
  return counter.count(content) <= profile.wholeFileMaxTokens ? "whole-file" : "search-replace";
}

/**
 * Packs target files (never truncated: a target that does not fit means the unit is too big) and
 * then context files while they fit; a context file that does not fit is left out with a note.
 */
export function packDraftInput(
  unit: PlanUnit,
  profile: CapacityProfile,
  counter: TokenCounter,
  read: (path: string) => string | null,
  reservedTokens: number,
): PackedInput {
  const budget = profile.maxInputTokens - reservedTokens;
  const formats = new Map<string, FileFormat>();
  const fileBlocks: string[] = [];
  const contextBlocks: string[] = [];
  const notes: string[] = [];
  let used = 0;
  let wholeFileOutputTokens = 0;
  let leftOut = 0;
  for (const file of unit.target_files) {
    const content = read(file);
    const format = chooseFormat(content, profile, counter);
    formats.set(file, format);
    if (content === null) {
      notes.push(`${file} does not exist yet: create it`);
      wholeFileOutputTokens += 200;
      continue;
    }
    const block = fileBlock(file, content);
    const tokens = counter.count(block);
    used += tokens;
    if (format === "whole-file") wholeFileOutputTokens += tokens;
  }
  if (used > budget) {
    return {
      formats,
      fileBlocks,
      contextBlocks,
      notes,
      wholeFileOutputTokens,
      usedTokens: used,
      fits: false,
      reason: `target files need ~${used} tokens; the drafter's budget is ${budget}`,
    };
  }
  for (const file of unit.target_files) {
    const content = read(file);
    if (content !== null) fileBlocks.push(fileBlock(file, content));
  }
  for (const file of unit.context_files) {
    const content = read(file);
    if (content === null) continue;
    const block = fileBlock(file, content);
    const tokens = counter.count(block);
    if (used + tokens > budget) {
      notes.push(`context file ${file} left out (over the drafter's budget)`);
      leftOut += 1;
      continue;
    }
    used += tokens;
    contextBlocks.push(block);
  }
  return {
    formats,
    fileBlocks,
    contextBlocks,
    notes,
    wholeFileOutputTokens,
    usedTokens: used,
    fits: true,
    allWhole: leftOut === 0,
  };
}

/**
 * Packing through a ContextPacker: a target it had to cut is shown as an excerpt with its
 * omissions named, and is edited with SEARCH/REPLACE on the visible lines only (a whole-file
 * rewrite of an excerpt would delete what was left out).
 */
export async function packWithPacker(
  packer: ContextPacker,
  unit: PlanUnit,
  profile: CapacityProfile,
  counter: TokenCounter,
  read: (path: string) => string | null,
  reservedTokens: number,
): Promise<PackedInput> {
  const budget = profile.maxInputTokens - reservedTokens;
  const packed = await packer.pack({
    targetFiles: unit.target_files,
    contextFiles: unit.context_files,
    budgetTokens: budget,
    counter,
    goal: unit.goal,
    read,
  });
  const formats = new Map<string, FileFormat>();
  const fileBlocks: string[] = [];
  const contextBlocks: string[] = [];
  const notes: string[] = [];
  let wholeFileOutputTokens = 0;
  const targets = new Set(unit.target_files);
  for (const block of packed.blocks) {
    if (!targets.has(block.file)) {
      contextBlocks.push(fileBlock(block.file, block.text));
      continue;
    }
    const content = read(block.file);
    if (content === null) {
      formats.set(block.file, "whole-file");
      notes.push(`${block.file} does not exist yet: create it`);
      wholeFileOutputTokens += 200;
      continue;
    }
    const format = block.whole ? chooseFormat(content, profile, counter) : "search-replace";
    formats.set(block.file, format);
    fileBlocks.push(fileBlock(block.file, block.text));
    if (!block.whole) {
      notes.push(
        `${block.file} is shown in part (${block.omitted ?? "some lines omitted"}); edit only the lines shown, with SEARCH/REPLACE`,
      );
    } else if (format === "whole-file") {
      wholeFileOutputTokens += counter.count(content);
    }
  }
  for (const file of unit.target_files) if (!formats.has(file)) formats.set(file, "whole-file");
  const packedFiles = new Set(packed.blocks.map((block) => block.file));
  const allWhole =
    packed.blocks.every((block) => block.whole) &&
    unit.context_files.every((file) => packedFiles.has(file) || read(file) === null);
  return {
    formats,
    allWhole,
    fileBlocks,
    contextBlocks,
    notes,
    wholeFileOutputTokens,
    usedTokens: packed.usedTokens,
    fits: packed.fits,
    ...(packed.fits
      ? {}
      : {
          reason: `the unit's target files do not fit the drafter's ${budget}-token budget (${packed.notes.join("; ")})`,
        }),
  };
}

/** The drafter's prompt for one attempt, packed and measured with `counter`. */
interface DraftPrompt {
  counter: TokenCounter;
  packed: PackedInput;
  system: string;
  user: string;
}

async function buildDraftPrompt(
  environment: DraftEnvironment,
  unit: PlanUnit,
  options: { feedback?: string; previousDiff?: string },
  counter: TokenCounter,
): Promise<DraftPrompt> {
  const { profile } = environment;
  const reserved =
    counter.count(options.feedback ?? "") +
    counter.count(options.previousDiff ?? "") +
    counter.count(unit.goal) +
    500;
  const packed = environment.packer
    ? await packWithPacker(environment.packer, unit, profile, counter, environment.read, reserved)
    : packDraftInput(unit, profile, counter, environment.read, reserved);
  const system = drafterSystem(new Set(packed.formats.values()));
  const user = drafterUserPrompt({
    task: environment.task,
    unit,
    formats: packed.formats,
    fileBlocks: packed.fileBlocks,
    contextBlocks: packed.contextBlocks,
    notes: packed.notes,
    ...(options.feedback ? { feedback: options.feedback } : {}),
    ...(options.previousDiff ? { previousAttempt: options.previousDiff } : {}),
  });
  return { counter, packed, system, user };
}

/** The output budget a draft asks for: whole-file answers repeat the file, so room for it. */
function wantedOutput(profile: CapacityProfile, packed: PackedInput): number {
  return Math.max(profile.maxOutputTokens, Math.ceil(packed.wholeFileOutputTokens * 1.3) + 128);
}

/**
 * True when a prompt packed with upper bounds of the token counts is the very prompt exact counts
 * would give: everything fits whole (so exact counts, being smaller, cut nothing either), every
 * target is edited whole-file (an exact count could only move a file from SEARCH/REPLACE to
 * whole-file, never back), and the output budget is the profile's own (not raised by an
 * overestimated whole-file answer). The room left for the answer is checked per call in
 * `draftUnit`.
 */
function boundSettles(prompt: DraftPrompt, profile: CapacityProfile): boolean {
  const { packed } = prompt;
  return (
    packed.fits &&
    packed.allWhole === true &&
    [...packed.formats.values()].every((format) => format === "whole-file") &&
    wantedOutput(profile, packed) === profile.maxOutputTokens
  );
}

/**
 * One drafting attempt. When the counter has a cheap upper bound (`atMost`: real tokenizers,
 * src/tokens), the prompt is packed and measured with it first, and the exact tokenizer is used
 * only when the bound does not settle every decision (`boundSettles`) or leaves too little room
 * for the answer: a small prompt never waits for a vocabulary to load, and the request sent is
 * byte for byte the one exact counts give.
 */
export async function draftUnit(
  environment: DraftEnvironment,
  unit: PlanUnit,
  options: { feedback?: string; previousDiff?: string; attempt: number },
): Promise<DraftOutcome> {
  const { profile, counter, caller } = environment;
  const atMost = counter.atMost;
  const upper: TokenCounter | undefined = atMost
    ? { name: `${counter.name} (upper bound)`, exact: false, count: (text) => atMost(text) }
    : undefined;
  let prompt: DraftPrompt | undefined;
  if (upper) {
    prompt = await buildDraftPrompt(environment, unit, options, upper);
    if (!boundSettles(prompt, profile)) prompt = undefined;
  }
  prompt ??= await buildDraftPrompt(environment, unit, options, counter);
  const { counter: measuredWith, packed, system, user } = prompt;
  if (!packed.fits) return { ok: false, kind: "too-big", reason: packed.reason ?? "unit does not fit" };
  const messages: ChatMessage[] = [{ role: "user", content: user }];
  const wanted = wantedOutput(profile, packed);
  const measure = (by: TokenCounter) =>
    by.count(system) +
    by.count(user) +
    messages.slice(1).reduce((sum, message) => sum + by.count(message.content), 0);
  const allowedFiles = unit.target_files;
  let retries = 0;
  let lastReport = "";
  let lastDiff = "";
  for (;;) {
    let promptTokens = measure(measuredWith);
    let room = profile.numCtx - promptTokens - 64;
    // An upper bound that leaves room for the whole wanted answer decides as the exact count
    // would; otherwise count exactly.
    if (measuredWith !== counter && room < wanted) {
      promptTokens = measure(counter);
      room = profile.numCtx - promptTokens - 64;
    }
    // Never send a prompt that leaves (almost) no room for the answer: Ollama would drop the
    // prompt's start or stop the reply at once. Refuse with the numbers instead.
    const minimumOutput = Math.min(512, profile.maxOutputTokens);
    if (room < minimumOutput) {
      return {
        ok: false,
        kind: "too-big",
        reason: `the drafter's prompt (${promptTokens} tokens) leaves ${Math.max(0, room)} of num_ctx ${profile.numCtx} for the answer (needs ${minimumOutput}); nothing was sent`,
      };
    }
    const maxOutputTokens = Math.min(wanted, room);
    const result = await caller.call(
      "drafter",
      {
        system,
        messages,
        maxOutputTokens,
        temperature: 0.2,
        ...(profile.local ? { numCtx: profile.numCtx } : {}),
      },
      {
        purpose:
          retries === 0 ? `draft ${options.attempt}` : `draft ${options.attempt} edit retry ${retries}`,
        unitId: unit.id,
      },
    );
    let report: string;
    if (result.finishReason === "length") {
      report = `Your reply was cut off at ${maxOutputTokens} tokens. Send shorter edits: SEARCH/REPLACE blocks covering only the lines that change.`;
      lastReport = report;
      if (retries >= environment.maxEditRetries) {
        return {
          ok: false,
          kind: "truncated",
          reason: "the drafter's reply was cut off",
          report,
          diff: lastDiff,
          editRetries: retries,
        };
      }
    } else {
      const attempt = environment.edits.apply(result.text, {
        ...(allowedFiles.length === 1 ? { defaultFile: allowedFiles[0] as string } : {}),
        allowedFiles,
        read: environment.read,
      });
      const diff = attempt.changes.length > 0 ? environment.edits.diff(attempt.changes) : "";
      if (attempt.ok && attempt.changes.length > 0) {
        return { ok: true, changes: attempt.changes, diff, editRetries: retries };
      }
      report = attempt.ok
        ? "Your reply changed nothing. Make the change described by the unit."
        : attempt.report;
      lastReport = report;
      lastDiff = diff;
      if (retries >= environment.maxEditRetries) {
        return {
          ok: false,
          kind: attempt.ok ? "no-change" : "edits-failed",
          reason: attempt.ok ? "the drafter's reply changed nothing" : "the drafter's edits did not apply",
          report: lastReport,
          diff: lastDiff,
          editRetries: retries,
        };
      }
    }
    // The retry continues the conversation, so the drafter sees what it sent and why it failed.
    messages.push({ role: "assistant", content: result.text }, { role: "user", content: report });
    retries += 1;
  }
}
