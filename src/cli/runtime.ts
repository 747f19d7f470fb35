/** The provider runtime the CLI hands to application functions. */
import type { ProviderRuntime } from "../providers/runtime.js";
import { type CassetteFlags, cassetteSession } from "./cassette.js";
import type { CliContext } from "./context.js";

/** The runtime for a command; `flags` with --record/--replay add the cassette session. */
export function providerRuntime(context: CliContext, flags?: CassetteFlags): ProviderRuntime {
  const cassette = flags ? cassetteSession(context, flags) : undefined;
  return { env: context.env, ...(cassette ? { cassette } : {}) };
}
