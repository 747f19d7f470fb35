/** Every command module registers itself here (one line each). */
import type { Command } from "commander";
import type { CliContext, CommandRegistrar } from "../context.js";
import { registerVersion } from "./version.js";
import { registerWorker } from "./worker.js";

const registrars: CommandRegistrar[] = [
  registerVersion,
  registerWorker,
];

export function registerAll(program: Command, context: CliContext): void {
  for (const register of registrars) register(program, context);
}
