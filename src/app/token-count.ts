/**
 * `hierocode tokens count`: the model's own tokenizer when hierocode ships one; for Claude models
 * the Anthropic `count_tokens` endpoint (free) when an API key is at hand; a calibrated estimate
 * otherwise. The result always names the estimator used.
 */
import { SecretVault } from "../checks/redact.js";
import type { HierocodeConfig, ProviderConfig } from "../config/schema.js";
import { describeError, UsageError } from "../errors.js";
import { createProvider } from "../providers/registry.js";
import type { ProviderRuntime } from "../providers/runtime.js";
import { countTokensExact } from "../tokens/exact-count.js";
import { defaultTokenCounter, tokenCounterFor } from "../tokens/select.js";

export interface TokenCountResult {
  tokens: number;
  estimator: string;
  exact: boolean;
  characters: number;
  /** Why an exact count was not used, when one was possible in principle. */
  note?: string;
}

const adHocAnthropic: ProviderConfig = {
  type: "anthropic",
  auth: { type: "bearer_env", env_var: "ANTHROPIC_API_KEY" },
};

/** The Anthropic provider entry to count with: `--provider`, else the first one whose key is set. */
function anthropicEntry(
  config: HierocodeConfig | undefined,
  env: Record<string, string | undefined>,
  name: string | undefined,
): { name: string; entry: ProviderConfig } | undefined {
  const keyOf = (entry: ProviderConfig) => env[entry.auth.env_var ?? "ANTHROPIC_API_KEY"];
  if (name) {
    const entry = config?.providers[name];
    if (!entry)
      throw new UsageError(`no provider named '${name}'`, { hint: "see `hierocode providers list`" });
    if (entry.type !== "anthropic")
      throw new UsageError(`provider '${name}' is ${entry.type}, not anthropic`);
    return { name, entry };
  }
  for (const [entryName, entry] of Object.entries(config?.providers ?? {})) {
    if (entry.type === "anthropic" && keyOf(entry)) return { name: entryName, entry };
  }
  return env.ANTHROPIC_API_KEY ? { name: "anthropic", entry: adHocAnthropic } : undefined;
}

export async function countTokens(options: {
  text: string;
  model?: string;
  family?: string;
  provider?: string;
  config?: HierocodeConfig;
  env: Record<string, string | undefined>;
  runtime: ProviderRuntime;
}): Promise<TokenCountResult> {
  const { text, model, family } = options;
  const counter = model || family ? tokenCounterFor(model ?? "", family) : defaultTokenCounter();
  const characters = text.length;
  if (!model || !/claude/i.test(model)) {
    return { tokens: counter.count(text), estimator: counter.name, exact: counter.exact, characters };
  }
  const found = anthropicEntry(options.config, options.env, options.provider);
  if (!found) {
    return {
      tokens: counter.count(text),
      estimator: counter.name,
      exact: false,
      characters,
      note: "set ANTHROPIC_API_KEY (or configure an anthropic provider) for an exact count",
    };
  }
  const provider = createProvider(found.name, found.entry, options.runtime);
  // The text leaves the machine: it is counted as a remote prompt would carry it, secrets as
  // placeholders and secrets-file blocks withheld (README "Secrets never leave unasked").
  const vault = new SecretVault({
    env: options.env,
    sendSecretFiles: options.config?.policy.send_secret_files ?? false,
  });
  const sent = vault.redact(text);
  try {
    const result = await countTokensExact(sent, { model, counter, provider });
    return {
      ...result,
      characters,
      ...(sent !== text
        ? { note: "secrets were replaced by placeholders before counting, as in a remote prompt" }
        : {}),
    };
  } catch (error) {
    return {
      tokens: counter.count(text),
      estimator: counter.name,
      exact: false,
      characters,
      note: `count_tokens failed (${describeError(error)}); estimated instead`,
    };
  }
}
