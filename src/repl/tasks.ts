/**
 * /task: named tasks kept under `tasks:` in the user config file (comments and other keys kept,
 * written atomically by config/write). `/task <name>` runs the saved task like /run.
 */
import { userConfigPath } from "../config/paths.js";
import { setConfigValue } from "../config/write.js";
import { UsageError } from "../errors.js";
import type { Session } from "./session.js";

const namePattern = /^[\w-]{1,64}$/;

async function savedTasks(session: Session): Promise<Record<string, string>> {
  const context = await session.context();
  return context.loadConfig().config.tasks;
}

function configFile(session: Session): string {
  return userConfigPath(session.env);
}

/** Task names for tab completion (empty when the config cannot be read). */
export async function taskNames(session: Session): Promise<string[]> {
  try {
    return Object.keys(await savedTasks(session));
  } catch {
    return [];
  }
}

export async function taskCommand(session: Session, args: string): Promise<void> {
  const { output } = session;
  const [verb = "", ...rest] = args.trim().split(/\s+/);
  const tail = args.trim().slice(verb.length).trim();
  if (verb === "" || verb === "list") {
    const tasks = await savedTasks(session);
    const names = Object.keys(tasks).sort();
    if (names.length === 0) output.print("no saved tasks; /task save <name> <description>");
    for (const name of names) output.print(`${output.paint.bold(name.padEnd(20))} ${tasks[name]}`);
    return;
  }
  if (verb === "save") {
    const name = rest[0] ?? "";
    const description = tail.slice(name.length).trim();
    if (!namePattern.test(name) || !description)
      throw new UsageError("usage: /task save <name> <description>", {
        hint: "names use letters, digits, '_' and '-'",
      });
    setConfigValue(configFile(session), `tasks.${name}`, description);
    output.print(`saved task ${name}`);
    return;
  }
  if (verb === "delete") {
    const name = rest[0] ?? "";
    const tasks = await savedTasks(session);
    if (!(name in tasks)) throw new UsageError(`no saved task '${name}'`, { hint: "/task list" });
    const { deleteConfigValue } = await import("../config/write.js");
    deleteConfigValue(configFile(session), `tasks.${name}`);
    output.print(`deleted task ${name}`);
    return;
  }
  const tasks = await savedTasks(session);
  const task = tasks[verb];
  if (task === undefined) throw new UsageError(`no saved task '${verb}'`, { hint: "/task list" });
  output.note(output.paint.dim(`task ${verb}: ${task}`));
  const { runInRepl } = await import("./run.js");
  await runInRepl(session, { task });
}
