/**
 * The worker bridge's output contract (HACO §6.2): only the requested artifact, no chatter.
 * Diffs and SEARCH/REPLACE blocks go through the edit engine's parser, so what the supervisor
 * receives is well-formed (hunk counts recomputed) or the call fails loudly.
 */
import { type DiffHunk, type ParsedEdit, parseEdits } from "../edits/index.js";
import { ModelOutputError } from "../errors.js";

export const workerFormats = ["code", "diff", "text", "search-replace"] as const;
export type WorkerFormat = (typeof workerFormats)[number];

interface FencedBlock {
  info: string;
  body: string;
  /** The whole block including its fences. */
  raw: string;
  /** 0-based line of the opening fence. */
  startLine: number;
}

/** Fenced blocks at the top level of a reply (an unclosed final fence runs to the end). */
export function fencedBlocks(text: string): FencedBlock[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks: FencedBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^\s*(`{3,}|~{3,})\s*([^`]*)$/.exec(lines[index] ?? "");
    if (!open?.[1]) continue;
    const marker = open[1];
    let end = index + 1;
    while (
      end < lines.length &&
      !new RegExp(`^\\s*${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`).test(lines[end] ?? "")
    )
      end++;
    blocks.push({
      info: (open[2] ?? "").trim(),
      body: lines.slice(index + 1, end).join("\n"),
      raw: lines.slice(index, Math.min(end + 1, lines.length)).join("\n"),
      startLine: index,
    });
    index = end;
  }
  return blocks;
}

const chatterOpener =
  /^(sure|certainly|of course|okay|ok|here(?:'s| is| are)|below is|the following)\b.*[:.!]\s*$/i;

function stripChatterLines(text: string): string {
  const lines = text.trim().split("\n");
  while (lines.length > 1 && chatterOpener.test(lines[0]?.trim() ?? "")) {
    lines.shift();
    while (lines.length > 1 && !lines[0]?.trim()) lines.shift();
  }
  return lines.join("\n").trim();
}

function cleanCode(reply: string): string {
  const blocks = fencedBlocks(reply);
  if (blocks.length === 1 && blocks[0]) return blocks[0].body.trimEnd();
  // several files: keep each block with its fence (and the filename line before it), drop prose
  if (blocks.length > 1) {
    const lines = reply.split("\n");
    return blocks
      .map((block) => {
        const previous = (lines[block.startLine - 1] ?? "").trim();
        const filename = /^[\w./-]+\.\w+$/.test(previous.replace(/[`*:]/g, ""))
          ? `${previous.replace(/[`*:]/g, "")}\n`
          : "";
        return `${filename}${block.raw}`;
      })
      .join("\n\n");
  }
  return stripChatterLines(reply);
}

function hunkText(hunk: DiffHunk, oldStart: number, newStart: number): string[] {
  const oldCount = hunk.lines.filter((line) => line.kind !== "+").length;
  const newCount = hunk.lines.filter((line) => line.kind !== "-").length;
  const out = [
    `@@ -${oldCount === 0 ? oldStart - 1 : oldStart},${oldCount} +${newCount === 0 ? newStart - 1 : newStart},${newCount} @@`,
  ];
  const lastOld = hunk.lines.map((line) => line.kind).lastIndexOf("-");
  const lastNew = hunk.lines.map((line) => line.kind).lastIndexOf("+");
  hunk.lines.forEach((line, index) => {
    out.push(`${line.kind}${line.text}`);
    const endsOld =
      hunk.oldNoNewline && (index === lastOld || (line.kind === " " && index === hunk.lines.length - 1));
    const endsNew =
      hunk.newNoNewline && (index === lastNew || (line.kind === " " && index === hunk.lines.length - 1));
    if (endsOld || endsNew) out.push("\\ No newline at end of file");
  });
  return out;
}

/** Renders a parsed diff edit as a `git apply`-able patch with correct hunk counts. */
export function renderUnifiedDiff(edit: Extract<ParsedEdit, { format: "unified-diff" }>): string {
  const out = [
    `--- ${edit.isNew ? "/dev/null" : `a/${edit.file}`}`,
    `+++ ${edit.isDelete ? "/dev/null" : `b/${edit.file}`}`,
  ];
  let delta = 0;
  for (const hunk of edit.hunks) {
    const oldStart = edit.isNew ? 1 : (hunk.oldStart ?? 1);
    out.push(...hunkText(hunk, oldStart, oldStart + delta));
    delta +=
      hunk.lines.filter((line) => line.kind === "+").length -
      hunk.lines.filter((line) => line.kind === "-").length;
  }
  return out.join("\n");
}

function cleanEdits(reply: string, format: "diff" | "search-replace"): string {
  const parsed = parseEdits(reply, { formats: [format === "diff" ? "unified-diff" : "search-replace"] });
  const expected = format === "diff" ? "a unified diff" : "SEARCH/REPLACE blocks";
  if (parsed.problems.length > 0 || parsed.edits.length === 0) {
    const reason = parsed.problems[0]?.reason ?? `the reply contains no ${expected}`;
    throw new ModelOutputError(`the worker did not return well-formed ${expected}: ${reason}`, {
      expected,
      received: reply,
      hint: "simplify the ticket, or ask for --format code",
    });
  }
  return parsed.edits
    .map((edit) => {
      if (edit.format === "unified-diff") return renderUnifiedDiff(edit);
      if (edit.format === "search-replace") {
        return [
          edit.file,
          "<<<<<<< SEARCH",
          ...edit.search,
          "=======",
          ...edit.replace,
          ">>>>>>> REPLACE",
        ].join("\n");
      }
      return "";
    })
    .filter(Boolean)
    .join(format === "diff" ? "\n" : "\n\n");
}

/** Strips everything but the artifact; throws ModelOutputError when diff/search-replace output is malformed. */
export function cleanArtifact(reply: string, format: WorkerFormat): string {
  const normalized = reply.replace(/\r\n?/g, "\n").replace(/<think>[\s\S]*?<\/think>/g, "");
  switch (format) {
    case "code":
      return cleanCode(normalized);
    case "diff":
    case "search-replace":
      return cleanEdits(normalized, format);
    case "text":
      return stripChatterLines(normalized);
  }
}

/** What the worker asks the model for, per format (appended to the system prompt). */
export function formatInstruction(format: WorkerFormat): string {
  switch (format) {
    case "code":
      return "Return only the code, in one fenced code block per file with the file path on the line before each fence. No explanations.";
    case "diff":
      return "Return only a unified diff (git style, with --- a/path and +++ b/path headers and @@ hunks). No explanations.";
    case "search-replace":
      return "Return only SEARCH/REPLACE blocks: the file path on its own line, then <<<<<<< SEARCH, the exact current lines, =======, the new lines, >>>>>>> REPLACE. No explanations.";
    case "text":
      return "Return only the requested text. No preamble, no closing remarks.";
  }
}
