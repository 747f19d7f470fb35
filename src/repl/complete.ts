/**
 * Tab completion: slash commands and their sub-commands, saved task names, roles, model names
 * (asked of the providers once per session, as `models list`), and file paths for /draft and
 * /review. Returns node:readline's [candidates, the text being completed].
 */
import { readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { commands, findCommand } from "./commands.js";
import type { Session } from "./session.js";

const roles = ["planner", "drafter", "reviewer"];

function matching(candidates: string[], word: string): string[] {
  return [...new Set(candidates)].filter((candidate) => candidate.startsWith(word)).sort();
}

/** Paths under the current folder starting with `word` (folders end with "/"). */
export function completePath(cwd: string, word: string): string[] {
  const folder = word.endsWith("/")
    ? word
    : dirname(word) === "." && !word.startsWith("./")
      ? ""
      : `${dirname(word)}/`;
  try {
    return readdirSync(resolve(cwd, folder || "."), { withFileTypes: true })
      .filter(
        (entry) =>
          entry.name !== ".git" && (!entry.name.startsWith(".") || word.split("/").at(-1)?.startsWith(".")),
      )
      .map((entry) => `${folder}${entry.name}${entry.isDirectory() ? "/" : ""}`)
      .filter((path) => path.startsWith(word))
      .sort();
  } catch {
    return [];
  }
}

let modelNames: Promise<string[]> | undefined;

async function providerModels(session: Session): Promise<string[]> {
  modelNames ??= (async () => {
    try {
      const [{ listAllModels }, { providerRuntime }] = await Promise.all([
        import("../app/models.js"),
        import("../cli/runtime.js"),
      ]);
      const context = await session.context();
      const lists = await listAllModels(context.loadConfig().config, providerRuntime(context));
      return lists.flatMap((entry) => entry.models.map((model) => model.id));
    } catch {
      return [];
    }
  })();
  return modelNames;
}

export function createCompleter(session: Session): (line: string) => Promise<[string[], string]> {
  return async (line) => {
    if (!line.startsWith("/")) return [[], line];
    const words = line.split(/\s+/);
    const word = words.at(-1) ?? "";
    if (words.length === 1) {
      const names = commands.flatMap((command) => [command.name, ...(command.aliases ?? [])]);
      return [matching(names, word.slice(1)).map((name) => `/${name}`), word];
    }
    const command = findCommand((words[0] ?? "").slice(1));
    if (!command) return [[], word];
    const position = words.length - 1; // 1: first argument
    if (command.name === "task") {
      const { taskNames } = await import("./tasks.js");
      if (position === 1)
        return [matching([...(command.subcommands ?? []), ...(await taskNames(session))], word), word];
      if (position === 2 && words[1] === "delete") return [matching(await taskNames(session), word), word];
      return [[], word];
    }
    if (command.name === "models") {
      if (position === 1) return [matching(command.subcommands ?? [], word), word];
      if (words[1] === "set" && position === 2) return [matching(roles, word), word];
      if (words[1] === "set" && position === 3) return [matching(await providerModels(session), word), word];
      return [[], word];
    }
    if (command.name === "draft" || command.name === "review") return [completePath(session.cwd, word), word];
    if (command.name === "verify" && position === 1) return [matching(["off", "default"], word), word];
    if (position === 1 && command.subcommands) return [matching(command.subcommands, word), word];
    return [[], word];
  };
}
