/** Every command module registers itself here (one line each). */
import type { Command } from "commander";
import type { CliContext, CommandRegistrar } from "../context.js";
import { registerVersion } from "./version.js";
import { registerRepo } from "./repo.js";
import { registerWorker } from "./worker.js";
import { registerSupervisor } from "./supervisor.js";
import { registerPatch } from "./patch.js";

const registrars: CommandRegistrar[] = [
  registerPatch,
  registerVersion,
  registerRepo,
  registerWorker,
  registerSupervisor,
];

export function registerAll(program: Command, context: CliContext): void {
  for (const register of registrars) register(program, context);
}
