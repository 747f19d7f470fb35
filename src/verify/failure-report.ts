/**
 * Turns raw test output into a tight failure report: which tests failed and the lines that say
 * why. Parsers cover the common runners cheaply (pytest, vitest, jest, node:test, go test,
 * cargo test); anything else falls back to the tail of the output.
 */

export interface ParsedFailures {
  failingTests: string[];
  /** The part of the output that explains the failures. */
  excerpt: string;
}

const ansiPattern = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(text: string): string {
  return text.replace(ansiPattern, "");
}

function unique(values: string[]): string[] {
  return [...new Set(values.map((value) => value.trim()).filter(Boolean))];
}

function between(lines: string[], start: number, end: number): string {
  return lines.slice(start, end === -1 ? undefined : end).join("\n");
}

function parsePytest(lines: string[]): ParsedFailures | null {
  const failing = unique(
    lines.flatMap((line) => {
      const match = /^(?:FAILED|ERROR)\s+(\S+)/.exec(line);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  if (failing.length === 0) return null;
  const start = lines.findIndex((line) => /^=+ (FAILURES|ERRORS) =+$/.test(line));
  return { failingTests: failing, excerpt: start === -1 ? lines.join("\n") : between(lines, start, -1) };
}

function parseNodeTest(lines: string[]): ParsedFailures | null {
  const start = lines.findIndex((line) => /^✖ failing tests:/.test(line));
  if (start !== -1) {
    const section = lines.slice(start + 1);
    const failing = unique(
      section.flatMap((line) => {
        const match = /^✖ (.+?)(?: \([\d.]+m?s\))?$/.exec(line);
        return match?.[1] ? [match[1]] : [];
      }),
    );
    // A file that fails to load is reported only as 'test failed'; the reason is printed earlier.
    const fileLevel = section.some((line) => line.trim() === "'test failed'");
    const summary = lines.findIndex((line) => /^ℹ tests \d+/.test(line));
    const earlier = fileLevel && summary > 0 ? lines.slice(Math.max(0, summary - 40), summary) : [];
    return { failingTests: failing, excerpt: [...earlier, ...section].join("\n") };
  }
  // TAP reporter
  const failing = unique(
    lines.flatMap((line) => {
      const match = /^\s*not ok \d+ - (.+?)(?:\s+#.*)?$/.exec(line);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  if (failing.length === 0) return null;
  const first = lines.findIndex((line) => /^\s*not ok \d+/.test(line));
  return { failingTests: failing, excerpt: between(lines, first, -1) };
}

function parseVitestOrJest(lines: string[]): ParsedFailures | null {
  const vitest = unique(
    lines.flatMap((line) => {
      const match = /^\s*FAIL\s+(\S+\.\w+\s+>\s+.+?)(?:\s+\[.*\])?$/.exec(line);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  const jest = unique(
    lines.flatMap((line) => {
      const match = /^\s*● (.+›.+)$/.exec(line);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  const failing = vitest.length > 0 ? vitest : jest;
  if (failing.length === 0) return null;
  const start = lines.findIndex((line) => /Failed Tests \d+|^\s*● /.test(line));
  return { failingTests: failing, excerpt: between(lines, Math.max(0, start), -1) };
}

function parseGo(lines: string[]): ParsedFailures | null {
  const failing = unique(
    lines.flatMap((line) => {
      const match = /^\s*--- FAIL: (\S+)/.exec(line);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  if (failing.length === 0) return null;
  const start = lines.findIndex((line) => /^\s*--- FAIL: /.test(line));
  return { failingTests: failing, excerpt: between(lines, Math.max(0, start - 20), -1) };
}

function parseCargo(lines: string[]): ParsedFailures | null {
  const failing = unique(
    lines.flatMap((line) => {
      const match = /^test (\S+) \.\.\. FAILED$/.exec(line);
      return match?.[1] ? [match[1]] : [];
    }),
  );
  if (failing.length === 0) return null;
  const start = lines.findIndex((line) => /^failures:$/.test(line));
  return { failingTests: failing, excerpt: between(lines, Math.max(0, start), -1) };
}

export function parseFailures(rawOutput: string): ParsedFailures {
  const lines = stripAnsi(rawOutput).replace(/\r\n?/g, "\n").split("\n");
  for (const parser of [parsePytest, parseNodeTest, parseVitestOrJest, parseGo, parseCargo]) {
    const parsed = parser(lines);
    if (parsed) return parsed;
  }
  return { failingTests: [], excerpt: lines.slice(-80).join("\n") };
}

/** Keeps the start and end of a long excerpt: the first failure and the summary matter most. */
export function trimExcerpt(text: string, maxLines = 120, maxChars = 6_000): string {
  let lines = text.split("\n").map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line));
  while (lines.length > 0 && !lines[0]?.trim()) lines.shift();
  while (lines.length > 0 && !lines[lines.length - 1]?.trim()) lines.pop();
  if (lines.length > maxLines) {
    const keepHead = Math.floor(maxLines * 0.6);
    const keepTail = maxLines - keepHead;
    lines = [
      ...lines.slice(0, keepHead),
      `… [${lines.length - maxLines} lines omitted] …`,
      ...lines.slice(-keepTail),
    ];
  }
  const joined = lines.join("\n");
  if (joined.length <= maxChars) return joined;
  const half = Math.floor(maxChars / 2);
  return `${joined.slice(0, half)}\n… [${joined.length - maxChars} characters omitted] …\n${joined.slice(-half)}`;
}

export interface FailureReportInput {
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  timeoutSeconds: number;
  output: string;
}

export function buildFailureReport(input: FailureReportInput): { report: string; failingTests: string[] } {
  const parsed = parseFailures(input.output);
  const status = input.timedOut
    ? `timed out after ${input.timeoutSeconds}s`
    : `failed (exit ${input.exitCode === null ? "signal" : input.exitCode})`;
  const header = [`Verification command \`${input.command}\` ${status}.`];
  if (parsed.failingTests.length > 0) header.push(`Failing tests: ${parsed.failingTests.join(", ")}`);
  const excerpt = trimExcerpt(parsed.excerpt);
  return { report: `${header.join("\n")}\n\n${excerpt}`.trimEnd(), failingTests: parsed.failingTests };
}
