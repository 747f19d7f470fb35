/**
 * LM Studio's local server: the OpenAI-compatible provider with LM Studio's default address
 * (http://localhost:1234/v1, or LMSTUDIO_HOST) and hints that name LM Studio.
 */
import type { ProviderConfig } from "../config/schema.js";
import { OpenAiCompatibleProvider } from "./openai-compatible.js";
import { hostToUrl } from "./provider-support.js";
import type { ProviderRuntime } from "./runtime.js";

export const defaultLmStudioUrl = "http://localhost:1234/v1";

/** LMSTUDIO_HOST may be `host:port` or a URL, with or without the /v1 suffix. */
export function lmStudioBaseUrl(env: Record<string, string | undefined>): string {
  const host = env.LMSTUDIO_HOST?.trim();
  if (!host) return defaultLmStudioUrl;
  const url = hostToUrl(host, 1234);
  return /\/v1$/.test(url) ? url : `${url}/v1`;
}

export class LmStudioProvider extends OpenAiCompatibleProvider {
  constructor(name: string, config: ProviderConfig, runtime: ProviderRuntime) {
    super(name, config, runtime, {
      type: "lmstudio",
      baseUrl: lmStudioBaseUrl(runtime.env),
      // LM Studio runs on the user's machine or LAN; its models count against local workers.
      local: true,
      unavailableHint:
        "is LM Studio's server running? Start it in LM Studio's Developer tab or with `lms server start` (default http://localhost:1234/v1; set LMSTUDIO_HOST or base_url)",
    });
  }
}
