/**
 * What a provider receives from its caller besides its config: the environment, and the
 * fetch/sleep functions (injectable so tests use fake servers without waiting on backoff).
 */
import type { ProviderConfig } from "../config/schema.js";
import { type HttpTransport, realSleep } from "./http.js";
import type { CassetteRecorder } from "./record.js";
import type { Cassette } from "./replay.js";

/** `--record FILE`: every provider is wrapped by the recorder; `--replay FILE`: answered from the cassette. */
export type CassetteSession =
  | { mode: "record"; recorder: CassetteRecorder }
  | { mode: "replay"; cassette: Cassette; strict: boolean };

export interface ProviderRuntime {
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Record or replay every model call made through providers built with this runtime. */
  cassette?: CassetteSession;
}

export const defaultMaxRetries = 2;

export function transportFor(name: string, config: ProviderConfig, runtime: ProviderRuntime): HttpTransport {
  return {
    provider: name,
    fetch: runtime.fetch ?? globalThis.fetch,
    sleep: runtime.sleep ?? realSleep,
    maxRetries: config.max_retries ?? defaultMaxRetries,
  };
}

/** The single base URL of a provider entry (the pool splits a list into one provider per host first). */
export function singleBaseUrl(config: ProviderConfig): string | undefined {
  const value = config.base_url;
  return Array.isArray(value) ? value[0] : value;
}
