/**
 * The REPL's slash commands. Each calls what its one-shot twin calls: most run the very CLI
 * command in-process (`/plan x` is `hierocode plan -t x`), /run and /resume call app/run's
 * runTask with the live panel, /apply and /undo call app/run's applyChanges and the atomic writer.
 * A command's modules are imported when it is first used, so the prompt appears fast.
 */
import { UsageError } from "../errors.js";
import type { Session } from "./session.js";

export interface SlashCommand {
  name: string;
  /** Other names (/? for /help, /quit for /exit). */
  aliases?: string[];
  usage: string;
  summary: string;
  /** Sub-commands offered by tab completion. */
  subcommands?: string[];
  run(session: Session, args: string): Promise<unknown>;
}

/** Splits on whitespace, keeping "quoted words" together. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3] ?? "");
  return words;
}

function need(value: string, usage: string): string {
  if (!value.trim()) throw new UsageError(`usage: ${usage}`);
  return value.trim();
}

/** `<task> <file>`: the last word is the file, the rest the task. */
function taskAndFile(args: string, usage: string): { task: string; file: string } {
  const trimmed = args.trim();
  const cut = trimmed.lastIndexOf(" ");
  if (cut <= 0) throw new UsageError(`usage: ${usage}`, { hint: "the file comes last, after the task" });
  return { task: trimmed.slice(0, cut).trim(), file: trimmed.slice(cut + 1) };
}

async function cli(session: Session, argv: string[]): Promise<void> {
  await session.cli(argv);
}

export const commands: SlashCommand[] = [
  {
    name: "run",
    usage: "/run <task>",
    summary: "plan → draft → review with a live panel; then /diff, /apply",
    async run(session, args) {
      const { runInRepl } = await import("./run.js");
      await runInRepl(session, { task: need(args, "/run <task>") });
    },
  },
  {
    name: "resume",
    usage: "/resume [run-id]",
    summary: "continue an interrupted run (default: the last one of this session)",
    async run(session, args) {
      const runId = args.trim() || session.resumable;
      if (!runId) throw new UsageError("no interrupted run in this session", { hint: "/resume <run-id>" });
      const { runInRepl } = await import("./run.js");
      await runInRepl(session, { resumeRunId: runId });
    },
  },
  {
    name: "plan",
    usage: "/plan <task> | /plan show",
    summary: "make (or reuse) the plan for a task; /plan show prints the last one",
    subcommands: ["show"],
    async run(session, args) {
      if (args.trim() === "show") {
        if (!session.lastTask)
          throw new UsageError("no plan in this session yet", { hint: "/plan <task> or /run <task>" });
        // The plan cache answers without a planner call.
        return cli(session, ["plan", "-t", session.lastTask]);
      }
      session.lastTask = need(args, "/plan <task>");
      await cli(session, ["plan", "-t", session.lastTask]);
    },
  },
  {
    name: "estimate",
    usage: "/estimate <task>",
    summary: "expected and worst-case cost and quota, no model call",
    run: (session, args) => cli(session, ["estimate", "-t", need(args, "/estimate <task>")]),
  },
  {
    name: "draft",
    usage: "/draft <task> <file>",
    summary: "one drafter call for one file; prints the diff",
    run(session, args) {
      const { task, file } = taskAndFile(args, "/draft <task> <file>");
      return cli(session, ["draft", "-t", task, "-f", file]);
    },
  },
  {
    name: "review",
    usage: "/review <task> <file>",
    summary: "ask the reviewer to judge one file against a task",
    run(session, args) {
      const { task, file } = taskAndFile(args, "/review <task> <file>");
      return cli(session, ["review", "-t", task, "-f", file]);
    },
  },
  {
    name: "diff",
    usage: "/diff",
    summary: "the accepted changes of the last run",
    async run(session) {
      const last = session.lastRun;
      if (!last) throw new UsageError("no run in this session yet", { hint: "/run <task>" });
      if (!last.result.diff) {
        session.output.print("the last run has no accepted changes");
        return;
      }
      session.output.print(last.result.diff.trimEnd());
      // What the disk holds now, not what this session remembers: the user may have reverted
      // or edited a file outside hierocode since.
      const { compareWithDisk } = await import("./apply.js");
      const states = compareWithDisk(last);
      const named = (state: string) => states.filter((item) => item.state === state).map((item) => item.file);
      const { paint } = session.output;
      const applied = named("applied");
      const notApplied = named("not applied");
      const changed = named("changed");
      if (applied.length > 0) session.output.note(paint.dim(`(applied on disk: ${applied.join(", ")})`));
      if (notApplied.length > 0)
        session.output.note(paint.dim(`(not applied: ${notApplied.join(", ")} — /apply writes them)`));
      if (changed.length > 0)
        session.output.note(
          paint.yellow(`(changed on disk since the run, neither before nor after it: ${changed.join(", ")})`),
        );
    },
  },
  {
    name: "apply",
    usage: "/apply",
    summary: "write the last run's accepted files: y all · r review each · n",
    async run(session) {
      const { applyInRepl } = await import("./apply.js");
      await applyInRepl(session);
    },
  },
  {
    name: "undo",
    usage: "/undo",
    summary: "revert the last /apply (refuses files changed since)",
    async run(session) {
      const { undoLastApply } = await import("./apply.js");
      await undoLastApply(session);
    },
  },
  {
    name: "usage",
    usage: "/usage",
    summary: "calls, tokens, cost per role; subscription quota bars",
    async run(session) {
      const { showUsage } = await import("./usage.js");
      await showUsage(session);
    },
  },
  {
    name: "models",
    usage: "/models | /models list | /models set <role> <model> [-p provider]",
    summary: "the models per role; set one (saved to the config)",
    subcommands: ["show", "list", "set"],
    run(session, args) {
      const words = splitWords(args);
      if (words.length === 0) return cli(session, ["models", "show"]);
      return cli(session, ["models", ...words]);
    },
  },
  {
    name: "cache",
    usage: "/cache clear",
    summary: "empty the plan cache",
    subcommands: ["clear"],
    run(session, args) {
      if (args.trim() !== "clear") throw new UsageError("usage: /cache clear");
      return cli(session, ["cache", "clear"]);
    },
  },
  {
    name: "config",
    usage: "/config edit | /config show",
    summary: "open the config in $VISUAL/$EDITOR; an invalid edit is rolled back",
    subcommands: ["edit", "show", "path", "validate"],
    async run(session, args) {
      const word = args.trim() || "show";
      if (word === "edit") {
        const { editConfig } = await import("./config-edit.js");
        return editConfig(session);
      }
      return cli(session, ["config", ...splitWords(word)]);
    },
  },
  {
    name: "doctor",
    usage: "/doctor",
    summary: "check the providers and models",
    run: (session, args) => cli(session, ["doctor", ...splitWords(args)]),
  },
  {
    name: "resources",
    usage: "/resources",
    summary: "RAM, GPUs and what fits",
    run: (session) => cli(session, ["resources"]),
  },
  {
    name: "repo",
    usage: "/repo [task]",
    summary: "the repository map the planner would see",
    run: (session, args) => cli(session, ["repo", "map", ...(args.trim() ? ["--task", args.trim()] : [])]),
  },
  {
    name: "task",
    usage: "/task save <name> <description> | /task <name> | /task list | /task delete <name>",
    summary: "named tasks, saved under tasks: in the config",
    subcommands: ["save", "list", "delete"],
    async run(session, args) {
      const { taskCommand } = await import("./tasks.js");
      return taskCommand(session, args);
    },
  },
  {
    name: "verify",
    usage: "/verify [command|off]",
    summary: "the test command runs use this session (off: none)",
    async run(session, args) {
      const value = args.trim();
      if (value === "off") session.verify = false;
      else if (value === "" || value === "default") session.verify = undefined;
      else session.verify = value;
      session.output.print(
        session.verify === false
          ? "verify: off for this session"
          : session.verify === undefined
            ? "verify: policy.verify_command (or detected) when set"
            : `verify: \`${session.verify}\` after each run`,
      );
    },
  },
  {
    name: "history",
    usage: "/history",
    summary: "what you typed this session",
    async run(session) {
      const entries = session.entries.slice(0, -1);
      if (entries.length === 0) session.output.print("nothing yet");
      entries.forEach((entry, index) => {
        session.output.print(`${String(index + 1).padStart(3)}  ${entry.replace(/\n/g, "\n     ")}`);
      });
    },
  },
  {
    name: "clear",
    usage: "/clear",
    summary: "clear the screen",
    async run(session) {
      session.io.output.write("\u001b[2J\u001b[3J\u001b[H");
    },
  },
  {
    name: "help",
    aliases: ["?"],
    usage: "/help",
    summary: "this list",
    async run(session) {
      const { paint } = session.output;
      for (const command of commands) {
        const names = [command.name, ...(command.aliases ?? [])].map((name) => `/${name}`).join(" ");
        const summary = `${command.summary}${command.aliases ? paint.dim(` (${names})`) : ""}`;
        // Long usages get their own line, so the summaries stay in one column.
        if (command.usage.length > 40)
          session.output.print(`${paint.bold(command.usage)}\n${" ".repeat(42)}${summary}`);
        else session.output.print(`${paint.bold(command.usage.padEnd(41))} ${summary}`);
      }
      session.output.print(
        paint.dim(
          "Text without a leading / is a task (tui.interaction_mode). A trailing \\ continues the line. Tab completes. Ctrl-C cancels a run; twice at an empty prompt exits.",
        ),
      );
    },
  },
  {
    name: "exit",
    aliases: ["quit"],
    usage: "/exit",
    summary: "leave (Ctrl-D too)",
    async run() {
      return "exit";
    },
  },
];

export function findCommand(name: string): SlashCommand | undefined {
  return commands.find((command) => command.name === name || command.aliases?.includes(name));
}
