#!/usr/bin/env node
/**
 * The CLI shell: parses flags, runs one command, maps errors to one clear line and an exit code.
 * Only this layer prints and chooses exit codes; commands call application functions.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { AbortError, ExitCode, HierocodeError, isAbortLike } from "../errors.js";
import { closeAllDatabases } from "../store/database.js";
import { VERSION } from "../version.js";
import { registerAll } from "./commands/index.js";
import { type CliContext, createContext } from "./context.js";
import { createOutput, errorJson, formatError } from "./output.js";

export interface RunCliOptions {
  argv: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
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
  const program = buildProgram(context, options);

  // Commands signal failure through process.exitCode; capture it per run so in-process callers
  // (tests, a later REPL) get the code without it leaking into the next run.
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
  } catch (error) {
    return reportError(error, context);
  } finally {
    process.exitCode = previousExitCode;
    closeAllDatabases();
  }
}

export function buildProgram(
  context: CliContext,
  options: Pick<RunCliOptions, "stdout" | "stderr"> = {},
): Command {
  const program = new Command();
  program
    .name("hierocode")
    .description("A frontier model plans and reviews; a local model writes the code.")
    .version(VERSION, "-V, --version", "print the version")
    .option("--json", "machine-readable output (errors too)")
    .option("--debug", "show stack traces and debug details")
    .option("--no-color", "disable colors (NO_COLOR is respected too)")
    .option("-c, --config <file>", "use this config file instead of ~/.hierocode.yaml")
    .showHelpAfterError("(run with --help for usage)")
    .enablePositionalOptions(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => (options.stdout ?? process.stdout).write(text),
      writeErr: (text) => (options.stderr ?? process.stderr).write(text),
    });
  program.hook("preAction", (_thisCommand, actionCommand) => {
    const globals = actionCommand.optsWithGlobals() as Record<string, unknown>;
    context.globals = {
      json: Boolean(globals.json),
      debug: Boolean(globals.debug),
      color: globals.color !== false,
      ...(typeof globals.config === "string" ? { config: globals.config } : {}),
      ...(typeof globals.repo === "string" ? { repo: globals.repo } : {}),
    };
  });
  registerAll(program, context);
  // Every subcommand reports usage errors through exitOverride, and inherits output config.
  const apply = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride();
      sub.configureOutput(program.configureOutput());
      sub.showHelpAfterError("(run with --help for usage)");
      apply(sub);
    }
  };
  apply(program);
  return program;
}

function reportError(error: unknown, context: CliContext): number {
  const { output } = context;
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help"
    ) {
      return ExitCode.ok;
    }
    // commander already printed its message to stderr
    return ExitCode.usage;
  }
  const normalized = isAbortLike(error) && !(error instanceof HierocodeError) ? new AbortError() : error;
  if (output.json) output.printJson(errorJson(normalized, output.redact));
  else output.note(formatError(normalized, output));
  return normalized instanceof HierocodeError ? normalized.exitCode : ExitCode.internal;
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

if (isMainModule()) {
  // `hierocode repo symbols | head`: a closed pipe is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const code = await runCli({ argv: process.argv.slice(2) });
  process.exitCode = code;
}
