/**
 * `hierocode` with no arguments on a terminal: the interactive session. A thin shell: it reads
 * entries (src/repl/line-editor), dispatches slash commands (src/repl/commands) and plain text as
 * tasks, and keeps the session alive when a command fails. Only light modules load before the
 * first prompt; each command imports what it needs when first used.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RunCliOptions } from "../cli/main.js";
import { createOutput, formatError } from "../cli/output.js";
import { projectConfigName, stateDir, userConfigPath } from "../config/paths.js";
import { ConfigError, ExitCode, UsageError } from "../errors.js";
import { findRepoRoot } from "../util/repo-root.js";
import { VERSION } from "../version.js";
import { findCommand } from "./commands.js";
import { createCompleter } from "./complete.js";
import { readEntry } from "./line-editor.js";
import { Session } from "./session.js";

export interface StartReplOptions {
  runCli: (options: RunCliOptions) => Promise<number>;
  env: Record<string, string | undefined>;
  cwd: string;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  errors?: NodeJS.WriteStream;
}

const historyLimit = 1000;

/** `$XDG_STATE_HOME/hierocode/repl_history` (HIEROCODE_STATE_DIR when set), one line per entry line. */
export function historyFile(env: Record<string, string | undefined>): string {
  return join(stateDir(env), "repl_history");
}

function loadHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    return lines.slice(-historyLimit).reverse();
  } catch {
    return [];
  }
}

function saveHistory(file: string, history: string[]): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${[...history].slice(0, historyLimit).reverse().join("\n")}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  } catch {
    // history is a convenience; a read-only state folder must not end the session
  }
}

/** Whether a config file exists for this folder (the user file, or the repository's own). */
function hasConfig(env: Record<string, string | undefined>, cwd: string): boolean {
  if (existsSync(userConfigPath(env))) return true;
  const root = findRepoRoot(cwd);
  return root !== null && existsSync(join(root, projectConfigName));
}

export async function startRepl(options: StartReplOptions): Promise<number> {
  const { env, cwd } = options;
  const io = {
    input: options.input ?? process.stdin,
    output: options.output ?? process.stdout,
    errors: options.errors ?? process.stderr,
  };
  const output = createOutput({ stdout: io.output, stderr: io.errors });
  if (!hasConfig(env, cwd)) {
    output.note(
      formatError(
        new ConfigError(`no configuration found (${userConfigPath(env)})`, [], {
          hint: "run `hierocode init --wizard` to write one, then `hierocode` again",
        }),
        output,
      ),
    );
    return ExitCode.config;
  }
  const session = new Session({ env, cwd, io, output, runCli: options.runCli });
  const file = historyFile(env);
  const history = loadHistory(file);
  const editor = { input: io.input, output: io.output, history, completer: createCompleter(session) };
  const prompt = `${output.paint.cyan("hierocode")}${output.paint.dim(">")} `;
  const continuation = `${output.paint.dim("…")} `;
  output.print(
    `hierocode ${VERSION} ${output.paint.dim("· /help for commands · Tab completes · Ctrl-D or /exit to leave")}`,
  );
  // While a command runs the terminal is in cooked mode: Ctrl-C arrives as SIGINT and cancels the
  // command in progress only (a listener keeps Node from exiting).
  let busy = false;
  let lastSigint = 0;
  const onSigint = () => {
    // The command says what was cancelled (a note here would land inside the live panel).
    if (session.abort && !session.abort.signal.aborted) {
      session.abort.abort();
      return;
    }
    // Commands that call models stop on SIGINT themselves (plan, draft, review); for the others
    // (doctor, repo map…) a second Ctrl-C within 3 s leaves the session.
    // A command with its own SIGINT listener (withInterrupt) is cancelling itself.
    if (!busy || session.abort || process.listenerCount("SIGINT") > 1) return;
    const now = Date.now();
    if (now - lastSigint < 3000) process.exit(ExitCode.aborted);
    lastSigint = now;
    io.errors.write("\n(Ctrl-C again to leave hierocode; this command ends by itself)\n");
  };
  process.on("SIGINT", onSigint);
  let prefill = "";
  let interrupts = 0;
  try {
    for (;;) {
      const entry = await readEntry(editor, prompt, continuation, prefill);
      prefill = "";
      if (entry.kind === "eof") break;
      if (entry.kind === "interrupt") {
        interrupts = entry.empty ? interrupts + 1 : 0;
        if (interrupts >= 2) break;
        if (entry.empty) output.note(output.paint.dim("(Ctrl-C again to leave, or /exit)"));
        continue;
      }
      interrupts = 0;
      const text = entry.text.trim();
      if (!text) continue;
      session.entries.push(text);
      saveHistory(file, history);
      busy = true;
      try {
        if (text.startsWith("/")) {
          const match = /^\/(\S*)\s*([\s\S]*)$/.exec(text);
          const name = match?.[1] ?? "";
          const command = findCommand(name);
          if (!command)
            throw new UsageError(`unknown command /${name}`, { hint: "/help lists the commands" });
          if ((await command.run(session, match?.[2] ?? "")) === "exit") break;
        } else {
          const next = await plainText(session, text);
          if (next) prefill = next;
        }
      } catch (error) {
        // A failing command prints its error line; the session goes on.
        output.note(formatError(error, output));
      } finally {
        busy = false;
      }
    }
  } finally {
    process.off("SIGINT", onSigint);
    saveHistory(file, history);
  }
  return ExitCode.ok;
}

/**
 * Text without a leading "/": a task. `tui.interaction_mode: prompt` asks first (y runs, e puts
 * it back on the prompt to edit, anything else drops it); `immediate` runs it.
 * Returns text to pre-fill the next prompt with.
 */
async function plainText(session: Session, text: string): Promise<string | undefined> {
  const context = await session.context();
  const mode = context.loadConfig().config.tui.interaction_mode;
  if (mode === "prompt") {
    const { ask } = await import("./ask.js");
    const answer = await ask(session, "Run as task?", ["y", "N", "e(dit)"], { fallback: "n", cancel: "n" });
    if (answer.startsWith("e")) return text;
    if (answer !== "y") return undefined;
  }
  const { runInRepl } = await import("./run.js");
  await runInRepl(session, { task: text });
  return undefined;
}
