import type { Command } from "commander";
import { VERSION } from "../../version.js";
import type { CliContext } from "../context.js";

export function registerVersion(program: Command, context: CliContext): void {
  program
    .command("version")
    .description("print the installed version")
    .option("--json", "machine-readable output")
    .action(() => {
      if (context.output.json) context.output.printJson({ version: VERSION, node: process.version });
      else context.output.print(VERSION);
    });
}
