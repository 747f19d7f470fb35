/** Terminal output for the CLI shell only: colors (respecting NO_COLOR), JSON, error lines. */
import pc from "picocolors";
import { HierocodeError } from "../errors.js";

export interface Output {
  json: boolean;
  debug: boolean;
  color: boolean;
  /** Normal output (stdout). */
  print(text?: string): void;
  /** Machine-readable output (stdout). */
  printJson(value: unknown): void;
  /** Notes, warnings, progress (stderr). */
  note(text: string): void;
  warn(text: string): void;
  paint: {
    green(text: string): string;
    red(text: string): string;
    yellow(text: string): string;
    dim(text: string): string;
    bold(text: string): string;
    cyan(text: string): string;
  };
}

export function createOutput(options: {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const color =
    options.color ??
    (!process.env.NO_COLOR &&
      !process.env.HIEROCODE_NO_COLOR &&
      Boolean((stdout as { isTTY?: boolean }).isTTY));
  const colors = pc.createColors(color);
  return {
    json: Boolean(options.json),
    debug: Boolean(options.debug),
    color,
    print(text = "") {
      stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    },
    printJson(value) {
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    note(text) {
      stderr.write(`${text}\n`);
    },
    warn(text) {
      stderr.write(`${colors.yellow("warning:")} ${text}\n`);
    },
    paint: {
      green: colors.green,
      red: colors.red,
      yellow: colors.yellow,
      dim: colors.dim,
      bold: colors.bold,
      cyan: colors.cyan,
    },
  };
}

/** Formats any error as `error: message` plus an optional `hint:` line. */
export function formatError(error: unknown, output: Pick<Output, "paint" | "debug">): string {
  const lines: string[] = [];
  if (error instanceof HierocodeError) {
    lines.push(`${output.paint.red("error:")} ${error.message}`);
    if (error.hint) lines.push(`${output.paint.dim("hint:")} ${error.hint}`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`${output.paint.red("error:")} internal error: ${message}`);
    if (!output.debug)
      lines.push(`${output.paint.dim("hint:")} run again with --debug for the stack trace, and report it`);
  }
  if (output.debug && error instanceof Error && error.stack) lines.push(error.stack);
  return lines.join("\n");
}

export function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof HierocodeError) return { ok: false, error: error.toJSON() };
  return {
    ok: false,
    error: { code: "internal", message: error instanceof Error ? error.message : String(error) },
  };
}
