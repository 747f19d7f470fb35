/**
 * Every top-level command, registered lazily: `hierocode --help` and `--version` load no command
 * module; running a command loads only the module that defines it (and what that module imports).
 *
 * To add a command: add one entry below (in the order `hierocode --help` lists them). `name`,
 * `term` and `summary` are what the top-level help shows before the module is loaded; the test
 * `test/app/cli-lazy.test.ts` checks they match what the module registers.
 */
import type { Command } from "commander";
import type { CliContext, CommandRegistrar } from "../context.js";

export interface CommandEntry {
  /** The top-level command name as typed. */
  name: string;
  /** What follows the name in the command list of `--help` (e.g. "[options] [prompt]"), if anything. */
  term?: string;
  /** The one-line description the module gives the command. */
  summary: string;
  /** The module's file name; one module may register several top-level commands (repo, tokens). */
  module: string;
  /** Loads the module's registrar. */
  load: () => Promise<CommandRegistrar>;
}

// In the order `hierocode --help` lists them: set-up, the pipeline, the tools around it.
export const commandEntries: CommandEntry[] = [
  {
    name: "init",
    term: "[options]",
    summary: "write ~/.hierocode.yaml (--wizard detects your planner, local models and hardware)",
    module: "init",
    load: async () => (await import("./init.js")).registerInit,
  },
  {
    name: "doctor",
    term: "[options]",
    summary:
      "check the config and, for every role, that its provider is reachable, logged in and has the model",
    module: "doctor",
    load: async () => (await import("./doctor.js")).registerDoctor,
  },
  {
    name: "config",
    summary: "inspect the configuration",
    module: "config",
    load: async () => (await import("./config.js")).registerConfig,
  },
  {
    name: "trust",
    term: "[options]",
    summary:
      "allow this repository's .hierocode.yaml to run programs and send credentials (verify_command, binary, auth, base_url, pricing_file)",
    module: "trust",
    load: async () => (await import("./trust.js")).registerTrust,
  },
  {
    name: "providers",
    summary: "configured providers",
    module: "providers",
    load: async () => (await import("./providers.js")).registerProviders,
  },
  {
    name: "models",
    summary: "models per provider and per role",
    module: "models",
    load: async () => (await import("./models.js")).registerModels,
  },
  {
    name: "resources",
    term: "[options]",
    summary: "print CPU count, RAM (total / available) and GPUs",
    module: "resources",
    load: async () => (await import("./resources.js")).registerResources,
  },
  {
    name: "workers",
    summary: "parallel worker counts",
    module: "workers",
    load: async () => (await import("./workers.js")).registerWorkers,
  },
  {
    name: "estimate",
    term: "[options]",
    summary:
      "expected and worst-case planner/reviewer calls, tokens, dollars and subscription messages for a task",
    module: "estimate",
    load: async () => (await import("./estimate.js")).registerEstimate,
  },
  {
    name: "plan",
    term: "[options]",
    summary: "make (or reuse from the cache) the plan for a task and print it; nothing is drafted",
    module: "plan",
    load: async () => (await import("./plan.js")).registerPlan,
  },
  {
    name: "run",
    term: "[options]",
    summary: "plan → draft → review: print the accepted diffs (write them with --apply)",
    module: "run",
    load: async () => (await import("./run.js")).registerRun,
  },
  {
    name: "draft",
    term: "[options]",
    summary: "ask the drafter for one file's change and print the diff (one call, no review)",
    module: "draft",
    load: async () => (await import("./draft.js")).registerDraft,
  },
  {
    name: "review",
    term: "[options]",
    summary: "ask the reviewer to judge one file (its uncommitted diff, or its content) against a task",
    module: "review",
    load: async () => (await import("./review.js")).registerReview,
  },
  {
    name: "usage",
    term: "[options]",
    summary:
      "model calls, tokens and cost per role (all sessions), and messages used in each subscription window",
    module: "usage",
    load: async () => (await import("./usage.js")).registerUsage,
  },
  {
    name: "eval",
    summary: "evaluate your drafter models on small edit tasks (pass@1, well-formed rate, latency)",
    module: "eval",
    load: async () => (await import("./eval.js")).registerEval,
  },
  {
    name: "memory",
    summary:
      "notes and preferences the planner is given across projects (memory.enabled: false turns it off)",
    module: "memory",
    load: async () => (await import("./memory.js")).registerMemory,
  },
  {
    name: "route",
    summary: "the drafter router: why a task goes to which model (explain), and policy estimates (replay)",
    module: "route",
    load: async () => (await import("./route.js")).registerRoute,
  },
  {
    name: "outcome",
    summary: "per-unit outcomes the router learns from (logged automatically at the end of each run)",
    module: "outcome",
    load: async () => (await import("./outcome.js")).registerOutcome,
  },
  {
    name: "cache",
    summary: "the plan cache",
    module: "cache",
    load: async () => (await import("./cache.js")).registerCache,
  },
  {
    name: "patch",
    summary: "apply model edits and diffs",
    module: "patch",
    load: async () => (await import("./patch.js")).registerPatch,
  },
  {
    name: "repo",
    summary: "inspect the repository index the planner sees",
    module: "repo",
    load: async () => (await import("./repo.js")).registerRepo,
  },
  {
    name: "tokens",
    summary: "token counting",
    module: "repo",
    load: async () => (await import("./repo.js")).registerRepo,
  },
  {
    name: "local",
    summary: "the in-process GGUF runtime (node-llama-cpp) for providers of type llama_cpp",
    module: "local",
    load: async () => (await import("./local.js")).registerLocal,
  },
  {
    name: "record",
    summary: "inspect cassettes written by --record (replay them with --replay FILE)",
    module: "record",
    load: async () => (await import("./record.js")).registerRecord,
  },
  {
    name: "worker",
    term: "[options] [prompt]",
    summary: "draft with the local worker model and print only the artifact (never writes files)",
    module: "worker",
    load: async () => (await import("./worker.js")).registerWorker,
  },
  {
    name: "supervisor",
    summary: "set a repository up for a supervising agent (Claude Code, Codex) that delegates to the worker",
    module: "supervisor",
    load: async () => (await import("./supervisor.js")).registerSupervisor,
  },
  {
    name: "mcp",
    summary:
      "serve the MCP tools (draft_code, drafter_info, usage_summary, submit_task, task_status) on stdio",
    module: "mcp",
    load: async () => (await import("./mcp.js")).registerMcp,
  },
  {
    name: "serve",
    term: "[options]",
    summary: "run the HTTP service: worker calls, a durable task queue, MCP over HTTP (loopback by default)",
    module: "serve",
    load: async () => (await import("./serve.js")).registerServe,
  },
  {
    name: "version",
    term: "[options]",
    summary: "print the installed version",
    module: "version",
    load: async () => (await import("./version.js")).registerVersion,
  },
];

/** Global options that take a value (their value is not the command name). */
const globalsWithValue = new Set(["-c", "--config"]);

/**
 * The top-level command `argv` invokes (`help X` counts as X), or undefined for none
 * (`--help`, `--version`, no arguments).
 */
export function requestedCommand(argv: readonly string[]): string | undefined {
  const words: string[] = [];
  for (let index = 0; index < argv.length && words.length < 2; index++) {
    const arg = argv[index]!;
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      if (globalsWithValue.has(arg)) index++;
      continue;
    }
    words.push(arg);
    if (words[0] !== "help") break;
  }
  return words[0] === "help" ? words[1] : words[0];
}

/**
 * Registers every command on `program`: the modules of `load` (default: the one defining the
 * command `argv` asks for) for real, every other command as a placeholder that only lists its name
 * and summary in `--help`. `load: "all"` loads every module (tests compare the two).
 */
export async function registerAll(
  program: Command,
  context: CliContext,
  load: { argv: readonly string[] } | "all",
): Promise<void> {
  const loaded = new Map<string, CommandRegistrar>();
  const wanted = load === "all" ? undefined : requestedCommand(load.argv);
  for (const entry of commandEntries) {
    if ((load === "all" || entry.name === wanted) && !loaded.has(entry.module))
      loaded.set(entry.module, await entry.load());
  }
  const called = new Set<string>();
  const has = (name: string) => program.commands.some((command) => command.name() === name);
  for (const entry of commandEntries) {
    if (has(entry.name)) continue;
    const registrar = loaded.get(entry.module);
    if (registrar && !called.has(entry.module)) {
      called.add(entry.module);
      registrar(program, context);
      if (has(entry.name)) continue;
    }
    const command = program.command(entry.name).description(entry.summary);
    placeholders.set(command, entry.term);
  }
}

/** Placeholder commands and the term their help line shows. */
const placeholders = new WeakMap<Command, string | undefined>();

/** The command list's left column: commander's own for loaded commands, the entry's term otherwise. */
export function subcommandTerm(command: Command, fallback: (command: Command) => string): string {
  if (!placeholders.has(command)) return fallback(command);
  const term = placeholders.get(command);
  return term ? `${command.name()} ${term}` : command.name();
}
