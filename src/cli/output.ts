/** Terminal output for the CLI shell only: colors (respecting NO_COLOR), JSON, error lines. */
import pc from "picocolors";
import { HierocodeError } from "../errors.js";

export interface Output {
  json: boolean;
  debug: boolean;
  color: boolean;
  /** Normal output (stdout). */
  print(text?: string): void;
  /**
   * Machine-readable output (stdout): one JSON object per command. An object without `ok` gets
   * `ok: true` first (errors are `{ ok: false, error: { code, message, hint } }`); print lists
   * inside an object (`{ symbols: [...] }`), never bare.
   */
  printJson(value: object): void;
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
      const object = Array.isArray(value)
        ? { ok: true, items: value }
        : "ok" in value
          ? value
          : { ok: true, ...value };
      stdout.write(`${JSON.stringify(object, null, 2)}\n`);
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

/**
 * The hint for an error that brings none: every error line gets a `hint:` line saying what to do
 * next, by the kind of error.
 */
export function hintFor(error: HierocodeError): string {
  if (error.hint) return error.hint;
  if (error.code.startsWith("provider_"))
    return "'hierocode doctor' checks every role's server, login and model";
  switch (error.code) {
    case "usage":
      return "run 'hierocode --help' (or 'hierocode COMMAND --help') for usage";
    case "config":
      return "'hierocode config validate' shows every problem; 'hierocode config path' shows which files apply";
    case "bad_model_output":
      return "run again (models vary), or bind a stronger model to the role: hierocode models set ROLE MODEL";
    case "aborted":
      return "nothing was left half-written; run the command again to start over";
    default:
      return "run again with --debug for details";
  }
}

/** Formats any error as `error: message` plus a `hint:` line. */
export function formatError(error: unknown, output: Pick<Output, "paint" | "debug">): string {
  const lines: string[] = [];
  if (error instanceof HierocodeError) {
    lines.push(`${output.paint.red("error:")} ${error.message}`);
    lines.push(`${output.paint.dim("hint:")} ${hintFor(error)}`);
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
  if (error instanceof HierocodeError)
    return { ok: false, error: { ...error.toJSON(), hint: hintFor(error) } };
  return {
    ok: false,
    error: {
      code: "internal",
      message: error instanceof Error ? error.message : String(error),
      hint: "run again with --debug for the stack trace, and report it",
    },
  };
}

let numberFormat: Intl.NumberFormat | undefined;
/**
 * `Intl.NumberFormat("en-US")` made on first use (building one costs ~20 ms; modules do no work at
 * import, so commands that never print a number never pay it). `format(1234)` is "1,234".
 */
export const groupedNumber = {
  format(value: number | bigint): string {
    numberFormat ??= new Intl.NumberFormat("en-US");
    return numberFormat.format(value);
  },
};
