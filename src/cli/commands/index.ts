/** Every command module registers itself here (one line each). */
import type { Command } from "commander";
import type { CliContext, CommandRegistrar } from "../context.js";
import { registerCache } from "./cache.js";
import { registerConfig } from "./config.js";
import { registerDoctor } from "./doctor.js";
import { registerDraft } from "./draft.js";
import { registerEstimate } from "./estimate.js";
import { registerInit } from "./init.js";
import { registerMcp } from "./mcp.js";
import { registerModels } from "./models.js";
import { registerPatch } from "./patch.js";
import { registerPlan } from "./plan.js";
import { registerProviders } from "./providers.js";
import { registerRepo } from "./repo.js";
import { registerResources } from "./resources.js";
import { registerReview } from "./review.js";
import { registerRun } from "./run.js";
import { registerServe } from "./serve.js";
import { registerSupervisor } from "./supervisor.js";
import { registerUsage } from "./usage.js";
import { registerVersion } from "./version.js";
import { registerWorker } from "./worker.js";
import { registerWorkers } from "./workers.js";

// In the order `hierocode --help` lists them: set-up, the pipeline, the tools around it.
const registrars: CommandRegistrar[] = [
  registerInit,
  registerDoctor,
  registerConfig,
  registerProviders,
  registerModels,
  registerResources,
  registerWorkers,
  registerEstimate,
  registerPlan,
  registerRun,
  registerDraft,
  registerReview,
  registerUsage,
  registerCache,
  registerPatch,
  registerRepo,
  registerWorker,
  registerSupervisor,
  registerMcp,
  registerServe,
  registerVersion,
];

export function registerAll(program: Command, context: CliContext): void {
  for (const register of registrars) register(program, context);
}
