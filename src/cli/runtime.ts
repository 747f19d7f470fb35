/** The provider runtime the CLI hands to application functions. */
import type { ProviderRuntime } from "../providers/runtime.js";
import type { CliContext } from "./context.js";

export function providerRuntime(context: CliContext): ProviderRuntime {
  return { env: context.env };
}
