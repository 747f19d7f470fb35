/** Terminal output for the CLI shell only: colors (respecting NO_COLOR), JSON, error lines. */
import pc from "picocolors";
import { createRedactor } from "../checks/redact.js";
import { HierocodeError } from "../errors.js";

export interface Output {
  json: boolean;
  debug: boolean;
  color: boolean;
  /**
   * Normal output (stdout), with secrets redacted as in the logs (see {@link PrintOptions}): the
   * first time a redaction changes what is printed, one warning on stderr says so.
   */
  print(text?: string, options?: PrintOptions): void;
  /**
   * Streamed output (stdout) exactly as given, not redacted (the repository index's own listing):
   * no newline added; bytes are UTF-8 text.
   */
  write(chunk: string | Uint8Array): void;
  /**
   * Machine-readable output (stdout): one JSON object per command. An object without `ok` gets
   * `ok: true` first (errors are `{ ok: false, error: { code, message, hint } }`); print lists
   * inside an object (`{ symbols: [...] }`), never bare. Every string in it is redacted like
   * `print` unless `options.exact`.
   */
  printJson(value: object, options?: PrintOptions): void;
  /** Notes, warnings, progress (stderr); secrets are redacted as in the run log. */
  note(text: string): void;
  warn(text: string): void;
  /** The redaction applied to stderr and to error JSON (auth env values, the secret scanner's findings). */
  redact(text: string): string;
  paint: {
    green(text: string): string;
    red(text: string): string;
    yellow(text: string): string;
    dim(text: string): string;
    bold(text: string): string;
    cyan(text: string): string;
  };
}

/**
 * Where the line of stdout redaction lies. By default everything printed on stdout goes through
 * the same redactor as stderr and the run logs (`createRedactor`: auth-looking environment
 * values, the secret scanner's findings, credential shapes → `[REDACTED]`): model text, plans,
 * reviews, `--json` bodies, and diffs printed for a person to read (`draft`, `run` without
 * `--apply`, `patch apply --dry-run`, the REPL's `/diff`). `exact: true` is for the few outputs
 * whose consumer applies them byte for byte or that are not model text: the `worker` artifact a
 * supervising agent writes into the files, and `repo symbols` (the repository's own names,
 * streamed). Bytes written to the user's files (`--apply`, `patch apply`, `/apply`) never pass
 * through stdout and are never redacted.
 */
export interface PrintOptions {
  exact?: boolean;
}

export function createOutput(options: {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Environment whose auth-looking values are redacted from stderr and error JSON. */
  env?: Record<string, string | undefined>;
}): Output {
  const redactSecrets = createRedactor(options.env ?? process.env);
  const redact = (text: string) => escapeTerminal(redactSecrets(text));
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const color =
    options.color ??
    (!process.env.NO_COLOR &&
      !process.env.HIEROCODE_NO_COLOR &&
      Boolean((stdout as { isTTY?: boolean }).isTTY));
  const colors = pc.createColors(color);
  let warned = false;
  // stdout is redacted without escaping: a diff keeps its tabs and carriage returns.
  const stdoutRedact = (text: string) => {
    const shown = redactSecrets(text);
    if (shown !== text && !warned) {
      warned = true;
      stderr.write(
        `${colors.yellow("warning:")} secrets in this output are shown as [REDACTED] (stdout is redacted like the logs; files on disk are written exactly, and a diff shown with [REDACTED] does not apply as printed)\n`,
      );
    }
    return shown;
  };
  return {
    json: Boolean(options.json),
    debug: Boolean(options.debug),
    color,
    print(text = "", printOptions = {}) {
      const shown = printOptions.exact ? text : stdoutRedact(text);
      stdout.write(shown.endsWith("\n") ? shown : `${shown}\n`);
    },
    write(chunk) {
      stdout.write(chunk);
    },
    printJson(value, printOptions = {}) {
      const object = Array.isArray(value)
        ? { ok: true, items: value }
        : "ok" in value
          ? value
          : { ok: true, ...value };
      const shown = printOptions.exact ? object : redactStrings(object, stdoutRedact);
      stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    },
    note(text) {
      stderr.write(`${redact(text)}\n`);
    },
    warn(text) {
      stderr.write(`${colors.yellow("warning:")} ${redact(text)}\n`);
    },
    redact,
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

/**
 * Escapes what a model or a repository could use to drive the terminal through our stderr:
 * control characters other than newline and tab, and bidi controls, become `\xNN` / `\uNNNN`.
 * SGR colour sequences (`ESC [ … m`, what picocolors writes) are kept.
 */
export function escapeTerminal(text: string): string {
  return text.replace(
    /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (match) => {
      if (match.length > 1) return match;
      const code = match.charCodeAt(0);
      return code <= 0xff
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
    },
  );
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

/**
 * The `--json` form of an error, always with a `hint` (see hintFor). Every string in it goes
 * through `redact` (the output's redactor), so a key a server echoed in its error message is not
 * printed raw.
 */
export function errorJson(
  error: unknown,
  redact: (text: string) => string = (text) => text,
): Record<string, unknown> {
  const body =
    error instanceof HierocodeError
      ? { ...error.toJSON(), hint: hintFor(error) }
      : {
          code: "internal",
          message: error instanceof Error ? error.message : String(error),
          hint: "run again with --debug for the stack trace, and report it",
        };
  return { ok: false, error: redactStrings(body, redact) };
}

function redactStrings(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = redactStrings(item, redact);
    return out;
  }
  return value;
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
