/**
 * A text file as lines plus the details an edit must preserve: byte-order mark, each line's own
 * terminator (so mixed-ending files stay byte-identical outside the edited lines), and whether the
 * last line ends with a newline.
 */

export interface FileText {
  bom: boolean;
  lines: string[];
  /** Terminator of each line ("\n", "\r\n" or "" for an unterminated last line). */
  endings: string[];
  /** The terminator new lines receive: the file's majority style. */
  eol: "\n" | "\r\n";
}

const BOM = "\uFEFF";

export function splitFileText(content: string): FileText {
  const bom = content.startsWith(BOM);
  const body = bom ? content.slice(1) : content;
  const lines: string[] = [];
  const endings: string[] = [];
  let crlf = 0;
  let lf = 0;
  let start = 0;
  while (start < body.length) {
    const newline = body.indexOf("\n", start);
    if (newline === -1) {
      lines.push(body.slice(start));
      endings.push("");
      break;
    }
    if (newline > start && body[newline - 1] === "\r") {
      lines.push(body.slice(start, newline - 1));
      endings.push("\r\n");
      crlf++;
    } else {
      lines.push(body.slice(start, newline));
      endings.push("\n");
      lf++;
    }
    start = newline + 1;
  }
  return { bom, lines, endings, eol: crlf > lf ? "\r\n" : "\n" };
}

export function hasFinalNewline(text: FileText): boolean {
  const last = text.endings[text.endings.length - 1];
  return last === undefined || last !== "";
}

export function joinFileText(text: FileText): string {
  let result = text.bom ? BOM : "";
  for (let index = 0; index < text.lines.length; index++) {
    result += text.lines[index] + (text.endings[index] ?? "");
  }
  return result;
}

/**
 * Replaces lines [start, end) with `replacement`. New lines take the file's majority terminator;
 * the file keeps its final-newline state unless `finalNewline` says otherwise.
 */
export function spliceLines(
  text: FileText,
  start: number,
  end: number,
  replacement: string[],
  finalNewline: boolean = hasFinalNewline(text),
): FileText {
  const keptEndings = text.endings.slice(start, end);
  const newEndings = replacement.map((_, offset) => keptEndings[offset] || text.eol);
  const lines = [...text.lines.slice(0, start), ...replacement, ...text.lines.slice(end)];
  const endings = [...text.endings.slice(0, start), ...newEndings, ...text.endings.slice(end)];
  return withFinalNewline({ ...text, lines, endings }, finalNewline);
}

export function withFinalNewline(text: FileText, finalNewline: boolean): FileText {
  const endings = text.endings.map((ending) => ending || text.eol);
  if (endings.length > 0 && !finalNewline) endings[endings.length - 1] = "";
  return { ...text, endings };
}

/** Splits text coming from a model reply (any line endings) into lines without terminators. */
export function toLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function isBlank(line: string): boolean {
  return line.trim() === "";
}
