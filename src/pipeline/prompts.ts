/**
 * Prompt texts. Bump PROMPT_VERSION whenever a planner prompt changes: it is part of the plan
 * cache key, so old plans are not reused with new instructions.
 */
import type { CapacityProfile } from "./capacity.js";
import type { CheckFinding } from "./hooks.js";
import type { PlanUnit } from "./plan-schema.js";

export const PROMPT_VERSION = "plan-v1";

export const plannerSystem = `You are the planner of a hierarchical coding tool. A small local model (the drafter) writes the code; you break the task into units it can handle, and a reviewer checks each result.
Rules:
- Each unit is one bounded change the drafter can make in one reply, within its limits given below.
- target_files: files the unit edits or creates, repo-relative paths exactly as listed in the repository map. Files that do not exist yet must also be listed in new_files.
- context_files: existing files the drafter must read but not change (keep this short).
- depends_on: ids of units whose result this unit needs. Units touching the same file are run in order automatically.
- acceptance: concrete, checkable criteria for the reviewer.
- est_input_tokens: your estimate of target + context size in tokens (about 4 characters per token).
- complexity: 0 (trivial) to 10 (architectural).
Answer only with JSON matching the schema.`;

export function capabilityText(profile: CapacityProfile): string {
  return [
    `Drafter: ${profile.model} (tier ${profile.tier}).`,
    `Per unit it can read at most ${profile.maxInputTokens} tokens (target files, context files and instructions together) and write at most ${profile.maxOutputTokens} tokens.`,
    `At most ${profile.maxFilesPerUnit} target file(s) per unit.`,
  ].join("\n");
}

export function plannerUserPrompt(
  task: string,
  profile: CapacityProfile,
  maxUnits: number,
  excerpts = false,
): string {
  const large = excerpts
    ? "\nA target file larger than that budget is fine: the drafter sees it as an excerpt (the code the unit's goal names, plus signatures of the rest) and edits it in place. Name the functions or classes to change in the goal."
    : "";
  return `Task:\n${task}\n\n${capabilityText(profile)}${large}\nUse at most ${maxUnits} units.`;
}

export function planRetryPrompt(problems: string[]): string {
  return `Your plan was rejected:\n${problems.map((problem) => `- ${problem}`).join("\n")}\nReturn a corrected plan as JSON matching the schema.`;
}

export function splitUserPrompt(
  task: string,
  unit: PlanUnit,
  feedback: string,
  profile: CapacityProfile,
  maxUnits: number,
): string {
  return `Task:\n${task}\n\nThis unit was too large or confused for the drafter and must be split into smaller units (at most ${maxUnits}):\n${unitText(unit)}\nReviewer feedback: ${feedback || "(none)"}\n\n${capabilityText(profile)}\nReturn a plan (JSON) whose units together do exactly this unit's work.`;
}

export function unitText(unit: PlanUnit): string {
  return [
    `Unit ${unit.id}: ${unit.goal}`,
    `Target files: ${unit.target_files.join(", ")}${unit.new_files.length ? ` (new: ${unit.new_files.join(", ")})` : ""}`,
    `Acceptance criteria:\n${unit.acceptance.map((item) => `- ${item}`).join("\n")}`,
  ].join("\n");
}

export type FileFormat = "whole-file" | "search-replace";

const wholeFileHelp = `To write a whole file, give its path on its own line, then the complete new content in a fenced block:
path/to/file.ext
\`\`\`
full file content
\`\`\``;

const searchReplaceHelp = `To change part of a file, give its path on its own line, then a fenced block with SEARCH/REPLACE sections. SEARCH must copy existing lines exactly (including indentation), with enough lines to be unique:
path/to/file.ext
\`\`\`
<<<<<<< SEARCH
exact existing lines
=======
replacement lines
>>>>>>> REPLACE
\`\`\``;

export function drafterSystem(formats: ReadonlySet<FileFormat>): string {
  const help = [...formats]
    .map((format) => (format === "whole-file" ? wholeFileHelp : searchReplaceHelp))
    .join("\n\n");
  return `You write code changes for one unit of a larger task. Change only the target files. Keep the existing style. Do not explain; answer only with edits.\n\n${help}`;
}

export interface DraftPromptParts {
  task: string;
  unit: PlanUnit;
  formats: Map<string, FileFormat>;
  fileBlocks: string[];
  contextBlocks: string[];
  notes: string[];
  feedback?: string;
  previousAttempt?: string;
}

export function drafterUserPrompt(parts: DraftPromptParts): string {
  const lines = [`Overall task: ${parts.task}`, "", unitText(parts.unit), ""];
  const formatLines = [...parts.formats].map(
    ([file, format]) =>
      `- ${file}: ${format === "whole-file" ? "write the whole file" : "use SEARCH/REPLACE blocks"}`,
  );
  lines.push("How to edit each target file:", ...formatLines, "");
  if (parts.contextBlocks.length > 0) lines.push("Context (read-only):", ...parts.contextBlocks, "");
  if (parts.fileBlocks.length > 0) lines.push("Target files, current content:", ...parts.fileBlocks, "");
  if (parts.notes.length > 0) lines.push(...parts.notes.map((note) => `Note: ${note}`), "");
  if (parts.previousAttempt) lines.push("Your previous attempt (as a diff):", parts.previousAttempt, "");
  if (parts.feedback) lines.push(`Feedback you must address:\n${parts.feedback}`, "");
  return lines.join("\n");
}

export function fileBlock(path: string, content: string): string {
  const fence = content.includes("```") ? "````" : "```";
  return `${path}\n${fence}\n${content}${content.endsWith("\n") || content === "" ? "" : "\n"}${fence}`;
}

export const reviewerSystem = `You review one unit of work written by a small model. Read the unit, its acceptance criteria, the diff and the code. Answer only with JSON:
- action: "accept" when the diff meets every criterion and breaks nothing; "revise" when the drafter can fix it with your feedback; "split" when the unit is too big for it (give sub_units); "escalate" when the drafter cannot do it.
- feedback: short, concrete instructions for the drafter (empty on accept).
- issues: at most 3 concrete problems.
- confidence: 0 to 1, how sure you are of the verdict.
Be brief.`;

/**
 * The compact checkpoint's reviewer: the seed's validator ("Respond ONLY with JSON (max 100
 * tokens)"). It reads everything and writes a few dozen tokens; the issues are the drafter's
 * feedback, so they must be instructions, not commentary.
 */
export function compactReviewerSystem(maxOutputTokens: number): string {
  return `You review one unit of work written by a small model. Read the unit, its acceptance criteria, the diff and the code. Validate. Respond ONLY with JSON (max ${maxOutputTokens} tokens):
{"pass": bool, "issues": ["max 3 items"], "confidence": 0-1, "escalate": bool}
- pass: true when the diff meets every criterion and breaks nothing.
- issues: at most 3, each a short concrete fix for the drafter (a few words; empty when passing).
- confidence: how sure you are of the verdict.
- escalate: true when the drafter cannot do this unit even with your issues.`;
}

export function reviewerUserPrompt(parts: {
  task: string;
  unit: PlanUnit;
  diff: string;
  codeBlocks: string[];
  findings: CheckFinding[];
  verifyReport?: string;
}): string {
  const lines = [
    `Overall task: ${parts.task}`,
    "",
    unitText(parts.unit),
    "",
    "Diff:",
    parts.diff || "(empty diff)",
    "",
  ];
  if (parts.codeBlocks.length > 0) lines.push("Code after the change:", ...parts.codeBlocks, "");
  if (parts.findings.length > 0) {
    lines.push(
      "Automatic check warnings:",
      ...parts.findings.map(
        (finding) =>
          `- ${finding.file}${finding.line ? `:${finding.line}` : ""} [${finding.check}] ${finding.message}`,
      ),
      "",
    );
  }
  if (parts.verifyReport) lines.push("The project's tests fail after this change:", parts.verifyReport, "");
  return lines.join("\n");
}

export const escalationSystem = `The small drafter model could not complete this unit. Write the change yourself. Answer only with edits in the formats below.\n\n${wholeFileHelp}\n\n${searchReplaceHelp}`;

export function escalationUserPrompt(parts: {
  task: string;
  unit: PlanUnit;
  fileBlocks: string[];
  contextBlocks: string[];
  feedback: string[];
  attempts: string[];
}): string {
  const lines = [`Overall task: ${parts.task}`, "", unitText(parts.unit), ""];
  if (parts.contextBlocks.length > 0) lines.push("Context (read-only):", ...parts.contextBlocks, "");
  lines.push("Target files, current content:", ...parts.fileBlocks, "");
  if (parts.attempts.length > 0) {
    lines.push("The drafter's failed attempts (diffs):");
    for (const [index, attempt] of parts.attempts.entries()) {
      lines.push(`Attempt ${index + 1}:`, attempt || "(no applicable edit)");
    }
    lines.push("");
  }
  if (parts.feedback.length > 0)
    lines.push("Reviewer feedback on those attempts:", ...parts.feedback.map((item) => `- ${item}`), "");
  return lines.join("\n");
}

/**
 * The director's redirect (seed: "Directors (Opus): Strategic redirects only (max 50 tokens)"):
 * before the planner writes a unit itself, it gives the drafter a short direction.
 */
export function redirectSystem(maxOutputTokens: number): string {
  return `You direct a small drafter model that failed a unit of a coding task. Read the unit, its failed attempt and the reviewer's feedback, then give the drafter one strategic redirect: what to do differently, in at most ${maxOutputTokens} tokens (one or two sentences). No code, no preamble.`;
}

export function redirectUserPrompt(parts: {
  task: string;
  unit: PlanUnit;
  reason: string;
  attempt?: string;
  feedback?: string;
}): string {
  const lines = [
    `Overall task: ${parts.task}`,
    "",
    unitText(parts.unit),
    "",
    `Why it failed: ${parts.reason}`,
    "",
  ];
  if (parts.attempt) lines.push("The drafter's last attempt (diff):", parts.attempt, "");
  if (parts.feedback) lines.push("Reviewer feedback:", parts.feedback, "");
  lines.push("Your redirect for the drafter:");
  return lines.join("\n");
}
