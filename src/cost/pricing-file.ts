/**
 * `pricing.yaml`: the user's overrides of the built-in table, for models released after this
 * version or other subscription tiers. Rows replace built-in rows with the same model id.
 *
 *   models:
 *     claude-sonnet-4-6: { input: 3, output: 15, cache_write: 3.75, cache_read: 0.3 }
 *   subscriptions:
 *     claude_pro: { provider_type: claude_code_cli, messages_per_window: 45, window_hours: 5 }
 */
import { existsSync } from "node:fs";
import { z } from "zod";
import { readYamlFile } from "../config/load.js";
import { pricingPaths } from "../config/paths.js";
import { ConfigError } from "../errors.js";
import { builtinPriceTable, type ModelPrice, type PriceTable, type SubscriptionPlan } from "./price-table.js";

const modelRowSchema = z.object({
  input: z.number().min(0),
  output: z.number().min(0),
  cache_write: z.number().min(0).optional(),
  cache_read: z.number().min(0).optional(),
  aliases: z.array(z.string()).optional(),
  as_of: z.string().optional(),
});

const subscriptionRowSchema = z.object({
  name: z.string().optional(),
  provider_type: z.enum(["claude_code_cli", "codex_cli"]),
  messages_per_window: z.number().int().positive(),
  window_hours: z.number().positive(),
});

const pricingFileSchema = z.object({
  models: z.record(z.string(), modelRowSchema).default({}),
  subscriptions: z.record(z.string(), subscriptionRowSchema).default({}),
});

export interface LoadedPriceTable {
  table: PriceTable;
  /** The override file that was read, if any. */
  file?: string;
}

export function mergePriceOverrides(base: PriceTable, raw: unknown, file: string): PriceTable {
  const parsed = pricingFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new ConfigError(`${file}: invalid pricing file: ${problems[0]}`, problems);
  }
  const models = new Map(base.models.map((row) => [row.model, row]));
  for (const [model, row] of Object.entries(parsed.data.models)) {
    const id = model.toLowerCase();
    // An override of an alias ("claude-haiku-4-5") replaces the dated row it names too.
    const replaced = [...models.values()].find(
      (existing) => existing.model === id || existing.aliases.includes(id),
    );
    if (replaced) models.delete(replaced.model);
    const inherited = replaced ? [replaced.model, ...replaced.aliases].filter((name) => name !== id) : [];
    const price: ModelPrice = {
      model: id,
      aliases: [...inherited, ...(row.aliases ?? [])],
      input: row.input,
      output: row.output,
      cacheWrite: row.cache_write ?? row.input * 1.25,
      cacheRead: row.cache_read ?? row.input * 0.1,
      source: file,
      asOf: row.as_of ?? "user override",
    };
    models.set(id, price);
  }
  const subscriptions = new Map(base.subscriptions.map((plan) => [plan.id, plan]));
  for (const [id, row] of Object.entries(parsed.data.subscriptions)) {
    // One plan per CLI: a user row replaces the built-in plan of the same provider type.
    for (const [existingId, plan] of subscriptions)
      if (plan.providerType === row.provider_type) subscriptions.delete(existingId);
    const plan: SubscriptionPlan = {
      id,
      name: row.name ?? id,
      providerType: row.provider_type,
      messagesPerWindow: row.messages_per_window,
      windowHours: row.window_hours,
      source: file,
      asOf: "user override",
    };
    subscriptions.set(id, plan);
  }
  // User rows first so they win prefix and alias lookups.
  const overridden = new Set(Object.keys(parsed.data.models).map((model) => model.toLowerCase()));
  const ordered = [...models.values()].sort(
    (a, b) => Number(overridden.has(b.model)) - Number(overridden.has(a.model)),
  );
  return { models: ordered, subscriptions: [...subscriptions.values()] };
}

/** The price table: built-in rows overridden by `pricing_file` or the first existing default path. */
export function loadPriceTable(
  options: { env?: Record<string, string | undefined>; pricingFile?: string } = {},
): LoadedPriceTable {
  const candidates = options.pricingFile ? [options.pricingFile] : pricingPaths(options.env ?? process.env);
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) {
    if (options.pricingFile) throw new ConfigError(`pricing_file: ${options.pricingFile} does not exist`);
    return { table: builtinPriceTable };
  }
  const errors: string[] = [];
  const raw = readYamlFile(file, errors);
  if (errors.length > 0) throw new ConfigError(errors[0] ?? `${file}: unreadable`, errors);
  return { table: mergePriceOverrides(builtinPriceTable, raw, file), file };
}
