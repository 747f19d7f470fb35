#!/usr/bin/env node
/**
 * The CLI shell: parses flags, runs one command, maps errors to one clear line and an exit code.
 * Only this layer prints and chooses exit codes; commands call application functions.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Help } from "commander";
import { AbortError, ExitCode, HierocodeError, isAbortLike, UsageError } from "../errors.js";
import { runAfterCommandTasks } from "../util/cleanup.js";
import { VERSION } from "../version.js";
import { registerAll, requestedCommand, subcommandTerm } from "./commands/index.js";
import { type CliContext, createContext, loadsConfigItself } from "./context.js";
import { createOutput, errorJson, formatError } from "./output.js";

export interface RunCliOptions {
  argv: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

function isHelpFlag(arg: string): boolean {
  return arg === "--help" || arg === "-h";
}

function peekFlag(argv: string[], flag: string): boolean {
  return argv.includes(flag);
}

export async function runCli(options: RunCliOptions): Promise<number> {
  const env = options.env ?? process.env;
  const argv = options.argv;
  const json = peekFlag(argv, "--json");
  const debug = peekFlag(argv, "--debug") || Boolean(env.HIEROCODE_DEBUG);
  const noColor = peekFlag(argv, "--no-color");
  const output = createOutput({
    json,
    debug,
    env,
    ...(noColor ? { color: false } : {}),
    ...(options.stdout ? { stdout: options.stdout } : {}),
    ...(options.stderr ? { stderr: options.stderr } : {}),
  });
  const context = createContext(output, env, options.cwd ?? process.cwd());
  const program = await buildProgram(context, { ...options, load: { argv } });

  // Commands signal failure through process.exitCode; capture it per run so in-process callers
  // (tests, a later REPL) get the code without it leaking into the next run.
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    // --json asks for one JSON object on stdout: `--version` gives the `version` command's, and
    // no command at all (commander would print the help on stderr) is a usage error.
    if (json && requestedCommand(argv) === undefined && !argv.includes("help") && !argv.some(isHelpFlag)) {
      if (argv.includes("--version") || argv.includes("-V")) {
        output.printJson({ ok: true, version: VERSION, node: process.version });
        return ExitCode.ok;
      }
      throw new UsageError("no command given", { hint: "run 'hierocode --help' for the commands" });
    }
    // `hierocode help frob`: commander would print the whole help and exit 0; an unknown command
    // is a usage error here as everywhere (exit 2, or one JSON object with --json).
    const words = argv.filter((arg) => !arg.startsWith("-"));
    const helpFor = words[0] === "help" ? requestedCommand(argv) : undefined;
    if (
      helpFor !== undefined &&
      !program.commands.some((command) => command.name() === helpFor || command.aliases().includes(helpFor))
    )
      throw new UsageError(`unknown command '${helpFor}'`, { hint: "run 'hierocode --help' for usage" });
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
  } catch (error) {
    return reportError(error, context, commandPath(program, argv));
  } finally {
    process.exitCode = previousExitCode;
    runAfterCommandTasks();
  }
}

/**
 * The commander program with every command registered: the modules `options.load` names for real
 * (default: the command in `argv`, see `registerAll`), the others as `--help` placeholders.
 */
export async function buildProgram(
  context: CliContext,
  options: Pick<RunCliOptions, "stdout" | "stderr"> & {
    load: Parameters<typeof registerAll>[2];
  },
): Promise<Command> {
  const program = new Command();
  program
    .name("hierocode")
    .description("A frontier model plans and reviews; a local model writes the code.")
    .version(VERSION, "-V, --version", "print the version")
    .option("--json", "machine-readable output (errors too)")
    .option("--debug", "show stack traces and debug details")
    .option("--no-color", "disable colors (NO_COLOR is respected too)")
    .option("-c, --config <file>", "use this config file instead of ~/.hierocode.yaml")
    .enablePositionalOptions(false)
    .exitOverride()
    .configureHelp({ subcommandTerm: (command) => subcommandTerm(command, helpTerm) })
    .configureOutput({
      writeOut: (text) => (options.stdout ?? process.stdout).write(text),
      writeErr: (text) => (options.stderr ?? process.stderr).write(text),
      // Usage errors are printed by reportError (`error:` + `hint:`, or JSON), not by commander.
      outputError: () => {},
    });
  program.hook("preAction", async (_thisCommand, actionCommand) => {
    const globals = actionCommand.optsWithGlobals() as Record<string, unknown>;
    context.globals = {
      json: Boolean(globals.json),
      debug: Boolean(globals.debug),
      color: globals.color !== false,
      ...(typeof globals.config === "string" ? { config: globals.config } : {}),
      ...(typeof globals.repo === "string" ? { repo: globals.repo } : {}),
    };
    if (!loadsConfigItself.has(actionCommand)) await context.prepare();
  });
  await registerAll(program, context, options.load);
  // Every subcommand reports usage errors through exitOverride, and inherits output config.
  const apply = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride();
      sub.configureOutput(program.configureOutput());
      sub.configureHelp(program.configureHelp());
      apply(sub);
    }
  };
  apply(program);
  return program;
}

/** The (sub)command words of `argv` that name registered commands, e.g. "workers suggest". */
function commandPath(program: Command, argv: readonly string[]): string | undefined {
  const words: string[] = [];
  let current = program;
  const start = requestedCommand(argv);
  if (start === undefined) return undefined;
  let seenStart = false;
  for (const arg of argv) {
    if (arg.startsWith("-")) continue;
    if (!seenStart) {
      if (arg !== start) continue;
      seenStart = true;
    }
    const next = current.commands.find(
      (command) => command.name() === arg || command.aliases().includes(arg),
    );
    if (!next) break;
    words.push(arg);
    current = next;
  }
  return words.length ? words.join(" ") : start;
}

/** Commander's own left column of the command list (name, alias, `[options]`, arguments). */
function helpTerm(command: Command): string {
  return new Help().subcommandTerm(command);
}

function reportError(error: unknown, context: CliContext, command: string | undefined): number {
  const { output } = context;
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help"
    ) {
      return ExitCode.ok;
    }
    error = usageErrorFrom(error, command);
  }
  let normalized = isAbortLike(error) && !(error instanceof HierocodeError) ? new AbortError() : error;
  // A usage error without its own hint points at the help of the command that was run.
  if (normalized instanceof UsageError && normalized.hint === undefined && command !== undefined)
    normalized = new UsageError(normalized.message, {
      hint: `run 'hierocode ${command} --help' for usage`,
      ...(normalized.details ? { details: normalized.details } : {}),
      cause: normalized,
    });
  if (output.json) output.printJson(errorJson(normalized, output.redact));
  else output.note(formatError(normalized, output));
  return normalized instanceof HierocodeError ? normalized.exitCode : ExitCode.internal;
}

/**
 * Commander's usage error as ours: its message without the `error:` prefix, its "(Did you mean …?)"
 * as the hint, or the command's --help.
 */
function usageErrorFrom(error: CommanderError, command: string | undefined): UsageError {
  const lines = error.message
    .replace(/^error:\s*/i, "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const suggestion = lines.find((line) => /^\(did you mean/i.test(line));
  const message = lines.filter((line) => line !== suggestion).join(" ");
  const known = command !== undefined && !/^unknown command/i.test(message);
  const help = `run 'hierocode${known ? ` ${command}` : ""} --help' for usage`;
  const hint = suggestion
    ? `did you mean ${suggestion.replace(/^\(did you mean\s*|\)$/gi, "").replace(/\?$/, "")}? (${help})`
    : help;
  return new UsageError(message, { hint });
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Runs the CLI as a process: exit code in process.exitCode, a closed stdout pipe is no error. */
export async function main(argv: string[]): Promise<void> {
  // `hierocode repo symbols | head`: a closed pipe is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  if (argv.length === 0 && process.stdin.isTTY && process.stdout.isTTY) {
    // Bare `hierocode` on a terminal opens the REPL; without a terminal it prints the help as before.
    const { startRepl } = await import("../repl/index.js");
    process.exitCode = await startRepl({ runCli, env: process.env, cwd: process.cwd() });
  } else {
    process.exitCode = await runCli({ argv });
  }
}

// `node dist/cli/main.js …` (the tests) runs like the binary, minus the Node.js version check.
if (isMainModule()) await main(process.argv.slice(2));
