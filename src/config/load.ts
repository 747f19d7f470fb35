/**
 * Layered config loading: defaults < user file < project file < HIEROCODE_* env < flags.
 * Returns `{ config, warnings, errors, sources }`; problems are reported as `dot.path: message`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Document, isScalar, parseDocument, parse as parseYamlScalar, visit } from "yaml";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { projectConfigName, userConfigPath } from "./paths.js";
import { configSchema, type HierocodeConfig, legacyKeys, type RoleBinding } from "./schema.js";
import { applyTrust, type ProjectTrust, sha256Hex } from "./trust.js";

type Env = Record<string, string | undefined>;
type Plain = Record<string, unknown>;

export interface ConfigOverrides {
  /** Dot paths to values, e.g. { "routing.drafter.model": "qwen2.5-coder:7b" } (from flags). */
  [dotPath: string]: unknown;
}

export interface LoadOptions {
  env?: Env;
  /** Repository root: where the project `.hierocode.yaml` is looked for. */
  repoRoot?: string;
  overrides?: ConfigOverrides;
  /** When false, a missing user file is not a warning (e.g. for `init`). */
  expectUserFile?: boolean;
}

export interface LoadedConfig {
  config: HierocodeConfig;
  warnings: string[];
  errors: string[];
  /** Files that were read, in precedence order. */
  sources: string[];
  userFile: string;
  userFileExists: boolean;
  /** The project file's trust: present when a project `.hierocode.yaml` was read. */
  trust?: ProjectTrust;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlain(current) && isPlain(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function setPath(target: Plain, path: string[], value: unknown): void {
  let node = target;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (!isPlain(next)) node[key] = {};
    node = node[key] as Plain;
  }
}

function hasPath(target: Plain, path: readonly string[]): boolean {
  let node: unknown = target;
  for (const key of path) {
    if (!isPlain(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

function deletePath(target: Plain, path: readonly string[]): void {
  let node: unknown = target;
  for (const [index, key] of path.entries()) {
    if (!isPlain(node)) return;
    if (index === path.length - 1) delete node[key];
    else node = node[key];
  }
}

/** Config files larger than this are refused unread: no hand-written config comes near it. */
export const maxConfigBytes = 1024 * 1024;

/** Aliases expanded per document before it counts as a resource-exhaustion attack (a "billion laughs"). */
const maxAliasCount = 100;

/**
 * Duplicate keys of every mapping, found in one pass with a Set per mapping. The yaml library's own
 * check (`uniqueKeys`) compares each new key with every earlier one, which made a 2.5 MB file take
 * 39 s; it is turned off and this linear check replaces it.
 */
function duplicateKeys(document: Document.Parsed): Array<{ key: string; offset: number | undefined }> {
  const found: Array<{ key: string; offset: number | undefined }> = [];
  visit(document, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key ?? null);
        if (seen.has(key)) found.push({ key, offset: isScalar(pair.key) ? pair.key.range?.[0] : undefined });
        seen.add(key);
      }
    },
  });
  return found;
}

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (
    let index = text.indexOf("\n");
    index !== -1 && index < offset;
    index = text.indexOf("\n", index + 1)
  ) {
    line += 1;
    start = index + 1;
  }
  return { line, col: offset - start + 1 };
}

/**
 * Reads one YAML file into a plain object. Every problem is pushed to `errors` (never thrown):
 * YAML errors as `file:line:col: invalid YAML (…)`, a file over {@link maxConfigBytes}, duplicate
 * keys, and alias expansion past 100 aliases (a YAML "billion laughs" bomb).
 */
export function readYamlFile(
  file: string,
  errors: string[],
  onBytes?: (bytes: Buffer) => void,
): Plain | undefined {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > maxConfigBytes) {
      errors.push(`${file}: ${size} bytes is larger than the 1 MB a config file may have (refused unread)`);
      return undefined;
    }
    const bytes = readFileSync(file);
    if (bytes.length > maxConfigBytes) {
      errors.push(`${file}: ${bytes.length} bytes is larger than the 1 MB a config file may have`);
      return undefined;
    }
    onBytes?.(bytes);
    text = bytes.toString("utf8");
  } catch (error) {
    errors.push(`${file}: cannot read (${(error as Error).message})`);
    return undefined;
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const position = error.linePos?.[0];
      const where = position ? `${file}:${position.line}:${position.col}` : file;
      const reason = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
      errors.push(`${where}: invalid YAML (${reason})`);
    }
    return undefined;
  }
  const duplicates = duplicateKeys(document);
  if (duplicates.length > 0) {
    for (const { key, offset } of duplicates) {
      const position = offset === undefined ? undefined : lineColumn(text, offset);
      const where = position ? `${file}:${position.line}:${position.col}` : file;
      errors.push(`${where}: invalid YAML (Map keys must be unique: '${key}' appears twice)`);
    }
    return undefined;
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount }) as unknown;
  } catch (error) {
    errors.push(
      `${file}: invalid YAML (${(error as Error).message}: more than ${maxAliasCount} aliases expanded)`,
    );
    return undefined;
  }
  if (value === null || value === undefined) return {};
  if (!isPlain(value)) {
    errors.push(`${file}: the top level must be a mapping of keys to values`);
    return undefined;
  }
  return value;
}

/** HIEROCODE_* variables that are not config settings. */
const reservedEnv = new Set([
  "HIEROCODE_CONFIG",
  "HIEROCODE_STATE_DIR",
  "HIEROCODE_DATA_DIR",
  "HIEROCODE_CACHE_DIR",
  "HIEROCODE_LLAMA_CPP_DIR", // where `local install` puts node-llama-cpp (providers/llama-cpp-runtime.ts)
  "HIEROCODE_TEST_LLAMA_CPP_DIR",
  "HIEROCODE_TEST_GGUF",
  "HIEROCODE_DEBUG",
  "HIEROCODE_NO_COLOR",
  "HIEROCODE_FAKE_RAM_GIB",
  "HIEROCODE_FAKE_GPU",
  "HIEROCODE_BIN",
  // read directly by `serve` / `mcp` (a token never enters the merged config `config show` prints)
  "HIEROCODE_SERVICE_TOKEN",
  "HIEROCODE_MCP_HEARTBEAT_MS",
  "HIEROCODE_REQUIRE_POSTGRES",
]);

const envShortcuts: Record<string, string> = {
  HIEROCODE_DEFAULT_PROVIDER: "default_provider",
  HIEROCODE_PLANNER_PROVIDER: "routing.planner.provider",
  HIEROCODE_PLANNER_MODEL: "routing.planner.model",
  HIEROCODE_DRAFTER_PROVIDER: "routing.drafter.provider",
  HIEROCODE_DRAFTER_MODEL: "routing.drafter.model",
  HIEROCODE_REVIEWER_PROVIDER: "routing.reviewer.provider",
  HIEROCODE_REVIEWER_MODEL: "routing.reviewer.model",
  HIEROCODE_MAX_LOCAL_WORKERS: "parallelization.max_local_workers",
  HIEROCODE_MAX_REMOTE_WORKERS: "parallelization.max_remote_workers",
  HIEROCODE_INTERACTION_MODE: "tui.interaction_mode",
};

/**
 * `HIEROCODE_PLANNER_MODEL=…` style shortcuts, and the generic form
 * `HIEROCODE_POLICY__MAX_REVISIONS_PER_UNIT=3` (double underscore separates path segments).
 */
export function envOverrides(env: Env, warnings: string[]): Plain {
  const out: Plain = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith("HIEROCODE_") || raw === undefined || reservedEnv.has(name)) continue;
    let dotPath = envShortcuts[name];
    if (!dotPath && name.includes("__")) {
      dotPath = name
        .slice("HIEROCODE_".length)
        .split("__")
        .map((segment) => segment.toLowerCase())
        .join(".");
    }
    if (!dotPath) {
      warnings.push(`env ${name}: not a known setting (ignored)`);
      continue;
    }
    let value: unknown = raw;
    try {
      value = parseYamlScalar(raw);
    } catch {
      value = raw;
    }
    setPath(out, dotPath.split("."), value);
  }
  return out;
}

function unknownKeys(schema: z.ZodType, value: unknown, path: string[], out: string[]): void {
  // Unwrap defaults/optionals to reach the object shape.
  let current: z.ZodType = schema;
  for (let guard = 0; guard < 5; guard += 1) {
    const def = (current as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } }).def;
    if ((def.type === "default" || def.type === "optional" || def.type === "nullable") && def.innerType) {
      current = def.innerType;
    } else if (def.type === "pipe" && def.in) {
      current = def.in;
    } else break;
  }
  const def = (
    current as unknown as { def: { type: string; shape?: Record<string, z.ZodType>; valueType?: z.ZodType } }
  ).def;
  if (!isPlain(value)) return;
  if (def.type === "object" && def.shape) {
    for (const [key, child] of Object.entries(value)) {
      const childSchema = def.shape[key];
      if (!childSchema) out.push([...path, key].join("."));
      else unknownKeys(childSchema, child, [...path, key], out);
    }
  } else if (def.type === "record" && def.valueType) {
    for (const [key, child] of Object.entries(value)) unknownKeys(def.valueType, child, [...path, key], out);
  }
}

function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}

/** Validates a merged plain object; returns problems as `dot.path: message`. */
export function validateConfig(raw: Plain): {
  config?: HierocodeConfig;
  errors: string[];
  warnings: string[];
} {
  const warnings: string[] = [];
  const errors: string[] = [];
  const copy = structuredClone(raw);
  for (const legacy of legacyKeys) {
    if (hasPath(copy, legacy)) {
      warnings.push(
        `${legacy.join(".")}: v0.1 key, ignored (run \`hierocode init --wizard --force\` to upgrade the file)`,
      );
      deletePath(copy, legacy);
    }
  }
  const unknown: string[] = [];
  unknownKeys(configSchema, copy, [], unknown);
  for (const key of unknown) warnings.push(`${key}: unknown key, ignored`);

  const parsed = configSchema.safeParse(copy);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) errors.push(`${formatIssuePath(issue.path)}: ${issue.message}`);
  }
  // Cross-references are checked on the raw object so they are reported with schema errors too.
  errors.push(...crossCheck(copy));
  return parsed.success ? { config: parsed.data, errors, warnings } : { errors, warnings };
}

/** Checks that need the whole config: role bindings name existing providers, etc. */
function crossCheck(raw: Plain): string[] {
  const errors: string[] = [];
  const providers = isPlain(raw.providers) ? raw.providers : {};
  if (typeof raw.default_provider === "string" && !(raw.default_provider in providers)) {
    errors.push(`default_provider: '${raw.default_provider}' is not defined under providers`);
  }
  const routing = isPlain(raw.routing) ? raw.routing : {};
  for (const role of ["planner", "drafter", "reviewer"] as const) {
    const binding = routing[role];
    if (isPlain(binding) && typeof binding.provider === "string" && !(binding.provider in providers)) {
      errors.push(`routing.${role}.provider: '${binding.provider}' is not defined under providers`);
    }
    const candidates = isPlain(binding) && Array.isArray(binding.candidates) ? binding.candidates : [];
    candidates.forEach((candidate, index) => {
      if (isPlain(candidate) && typeof candidate.provider === "string" && !(candidate.provider in providers))
        errors.push(
          `routing.${role}.candidates[${index}].provider: '${candidate.provider}' is not defined under providers`,
        );
    });
  }
  return errors;
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const errors: string[] = [];
  const sources: string[] = [];
  let merged: Plain = {};
  let trust: ProjectTrust | undefined;

  const userFile = userConfigPath(env);
  const userFileExists = existsSync(userFile);
  if (userFileExists) {
    const value = readYamlFile(userFile, errors);
    if (value) {
      merged = deepMerge(merged, value);
      sources.push(userFile);
    }
  } else if (env.HIEROCODE_CONFIG) {
    errors.push(`config file ${userFile} does not exist (named by --config or HIEROCODE_CONFIG)`);
  }

  if (options.repoRoot) {
    const projectFile = join(options.repoRoot, projectConfigName);
    if (projectFile !== userFile && existsSync(projectFile)) {
      let sha256 = "";
      const value = readYamlFile(projectFile, errors, (bytes) => {
        sha256 = sha256Hex(bytes);
      });
      if (value) {
        // Settings that run programs or send credentials apply only from a trusted file.
        const applied = applyTrust({ file: projectFile, sha256, project: value, below: merged, env });
        trust = applied.trust;
        if (applied.trust.warning) warnings.push(applied.trust.warning);
        merged = deepMerge(merged, applied.project);
        sources.push(projectFile);
      }
    }
  }

  merged = deepMerge(merged, envOverrides(env, warnings));

  if (options.overrides) {
    const flags: Plain = {};
    for (const [dotPath, value] of Object.entries(options.overrides)) {
      if (value !== undefined) setPath(flags, dotPath.split("."), value);
    }
    merged = deepMerge(merged, flags);
  }

  const result = validateConfig(merged);
  warnings.push(...result.warnings);
  errors.push(...result.errors);
  const config = result.config ?? configSchema.parse({});
  return { config, warnings, errors, sources, userFile, userFileExists, ...(trust ? { trust } : {}) };
}

/** Loads and throws a ConfigError when the config is invalid. */
export function loadConfigOrThrow(options: LoadOptions = {}): LoadedConfig {
  const loaded = loadConfig(options);
  if (loaded.errors.length > 0) {
    throw new ConfigError(`invalid configuration: ${loaded.errors[0]}`, loaded.errors, {
      hint:
        loaded.errors.length > 1
          ? `${loaded.errors.length} problems; run \`hierocode doctor\` to list them all`
          : "fix the file, or run `hierocode init --wizard --force` to write a fresh one",
    });
  }
  return loaded;
}

export interface ResolvedBinding extends RoleBinding {
  role: "planner" | "drafter" | "reviewer";
  /** True when the reviewer inherited the planner's binding. */
  inherited: boolean;
}

/** The binding a role uses: reviewer falls back to planner; missing provider falls back to default_provider. */
export function resolveRole(
  config: HierocodeConfig,
  role: "planner" | "drafter" | "reviewer",
): ResolvedBinding | undefined {
  const explicit = config.routing[role];
  if (explicit) return { ...explicit, role, inherited: false };
  if (role === "reviewer" && config.routing.planner) {
    return { ...config.routing.planner, role, inherited: true };
  }
  return undefined;
}
