/**
 * Trust for a repository's `.hierocode.yaml`, the way direnv (`direnv allow`) and editors'
 * workspace trust do it: a cloned repository may set models and policy numbers, but settings that
 * run a program or send the user's credentials somewhere are honoured only after the user ran
 * `hierocode trust` on that exact file content. The record is the file's SHA-256 in
 * `<state>/trusted-configs.json`; any change to the file needs trust again.
 */
import { createHash } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { stateDir } from "./paths.js";

type Env = Record<string, string | undefined>;
type Plain = Record<string, unknown>;

/** untrusted: never trusted; changed: trusted once, but the content differs now. */
export type TrustState = "trusted" | "untrusted" | "changed";

export interface ProjectTrust {
  /** Absolute path of the project `.hierocode.yaml`. */
  file: string;
  /** Hex SHA-256 of the bytes that were read and parsed. */
  sha256: string;
  state: TrustState;
  /** Dot paths of the settings the file sets that need trust (ignored unless trusted). */
  sensitive: string[];
  /** The one warning printed when sensitive settings were ignored (absent when none were). */
  warning?: string;
}

interface TrustRecord {
  sha256: string;
  trusted_at: string;
}

interface TrustStore {
  version: 1;
  files: Record<string, TrustRecord>;
}

/** `<state>/trusted-configs.json`. */
export function trustStorePath(env: Env = process.env): string {
  return join(stateDir(env), "trusted-configs.json");
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The key of a file in the store: its real path, so a symlinked checkout is the same file. */
function storeKey(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

function readStore(env: Env): TrustStore {
  try {
    const parsed = JSON.parse(readFileSync(trustStorePath(env), "utf8")) as Partial<TrustStore>;
    if (parsed && typeof parsed.files === "object" && parsed.files !== null)
      return { version: 1, files: parsed.files };
  } catch {
    // missing or unreadable store: nothing is trusted
  }
  return { version: 1, files: {} };
}

/** Whether `file` with content hash `sha256` is trusted, never trusted, or trusted with other content. */
export function trustStateOf(file: string, sha256: string, env: Env = process.env): TrustState {
  const record = readStore(env).files[storeKey(file)];
  if (!record) return "untrusted";
  return record.sha256 === sha256 ? "trusted" : "changed";
}

/** Records `sha256` as the trusted content of `file` (atomic write of the store). */
export function recordTrust(file: string, sha256: string, env: Env = process.env, now = new Date()): void {
  const store = readStore(env);
  store.files[storeKey(file)] = { sha256, trusted_at: now.toISOString() };
  writeFileAtomic(trustStorePath(env), `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the trust record of `file`; returns whether there was one. */
export function revokeTrust(file: string, env: Env = process.env): boolean {
  const store = readStore(env);
  const key = storeKey(file);
  if (!(key in store.files)) return false;
  delete store.files[key];
  writeFileAtomic(trustStorePath(env), `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  return true;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Top-level and policy settings that run a program or read a file of the project's choosing.
 * Anything added to the schema later that executes, reads an arbitrary path or moves a
 * credential belongs in this list or in {@link sensitiveProviderKeys}.
 */
const sensitivePaths: ReadonlyArray<readonly string[]> = [
  ["policy", "verify_command"],
  ["policy", "protected_paths"],
  ["policy", "send_secret_files"],
  ["pricing_file"],
];

/** Provider keys that always need trust: the program to run and which environment variable to send. */
const sensitiveProviderKeys = ["binary", "auth"] as const;

/** Provider kinds that send a credential on every request (anthropic: ANTHROPIC_API_KEY). */
const alwaysCredentialed = new Set(["anthropic"]);

function sendsCredentials(provider: Plain): boolean {
  if (typeof provider.type === "string" && alwaysCredentialed.has(provider.type)) return true;
  return isPlain(provider.auth) && provider.auth.type === "bearer_env";
}

/**
 * The settings of a project file that need trust, as dot paths, given what the layers below it
 * (defaults, user file) already say. `policy.verify_command`, `policy.protected_paths` (a project
 * may not unprotect its CI files), `pricing_file`, every provider's
 * `binary` and `auth`; a provider's `base_url` when the provider (with the user's own `auth`)
 * sends credentials; and a change of the `type` of a provider the user defined.
 */
export function sensitiveSettings(project: Plain, below: Plain): string[] {
  const found: string[] = [];
  for (const path of sensitivePaths) {
    let node: unknown = project;
    for (const key of path) node = isPlain(node) ? node[key] : undefined;
    if (node !== undefined) found.push(path.join("."));
  }
  const projectProviders = isPlain(project.providers) ? project.providers : {};
  const userProviders = isPlain(below.providers) ? below.providers : {};
  for (const [name, entry] of Object.entries(projectProviders)) {
    if (!isPlain(entry)) continue;
    const user = isPlain(userProviders[name]) ? (userProviders[name] as Plain) : undefined;
    for (const key of sensitiveProviderKeys) if (key in entry) found.push(`providers.${name}.${key}`);
    const typeChanged = user !== undefined && "type" in entry && entry.type !== user.type;
    if (typeChanged) found.push(`providers.${name}.type`);
    // What the provider is once the project's untrusted keys are dropped: the user's auth, type.
    const effective: Plain = { ...(user ?? {}), ...entry, auth: user?.auth ?? { type: "none" } };
    if (typeChanged) effective.type = user?.type;
    // The base_url is kept only when the provider sends no credential there, neither as written
    // in the project file nor with the user's own auth: a listener must receive nothing.
    const asWritten: Plain = { ...(user ?? {}), ...entry };
    if ("base_url" in entry && (sendsCredentials(effective) || sendsCredentials(asWritten)))
      found.push(`providers.${name}.base_url`);
  }
  return found;
}

/** A deep copy of `project` without the given dot paths. */
export function withoutSettings(project: Plain, paths: readonly string[]): Plain {
  const copy = structuredClone(project);
  for (const path of paths) {
    const keys = path.split(".");
    let node: unknown = copy;
    for (const key of keys.slice(0, -1)) node = isPlain(node) ? node[key] : undefined;
    if (isPlain(node)) delete node[keys[keys.length - 1] as string];
  }
  return copy;
}

/**
 * Decides what of a project file applies: trusted → all of it; otherwise the file without its
 * sensitive settings, and one warning naming them and `hierocode trust`.
 */
export function applyTrust(options: {
  file: string;
  sha256: string;
  project: Plain;
  below: Plain;
  env: Env;
}): { project: Plain; trust: ProjectTrust } {
  const sensitive = sensitiveSettings(options.project, options.below);
  const state = trustStateOf(options.file, options.sha256, options.env);
  const trust: ProjectTrust = { file: options.file, sha256: options.sha256, state, sensitive };
  if (state === "trusted" || sensitive.length === 0) return { project: options.project, trust };
  const why =
    state === "changed" ? "changed since you trusted it" : "not trusted (e.g. it came with a clone)";
  trust.warning =
    `${options.file} is ${why}; ignoring its settings that run programs or send credentials ` +
    `(${sensitive.join(", ")}). Review the file, then run \`hierocode trust\` to allow them`;
  return { project: withoutSettings(options.project, sensitive), trust };
}
