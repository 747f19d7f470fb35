/**
 * Small helpers shared by the HTTP providers: prompt size estimates, base URL handling and
 * deciding whether a host is the user's own hardware.
 */
import { isIP } from "node:net";
import type { GenerateRequest } from "./spec.js";

/**
 * Rough token count. 3.5 characters per token errs on the high side for code, which is what
 * we want when sizing a context window: too small truncates silently, too large only costs memory.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}

/** System text plus the cached context, for providers that have no separate cache block. */
export function joinedSystemText(request: GenerateRequest): string | undefined {
  const parts = [request.system, request.cachedContext].filter(
    (part): part is string => part !== undefined && part.length > 0,
  );
  return parts.length > 0 ? parts.join("\n\n") : undefined;
}

/** Estimated prompt tokens of a request, including a few tokens of chat-template overhead per message. */
export function estimatePromptTokens(request: GenerateRequest): number {
  const system = joinedSystemText(request);
  let total = system ? estimateTokens(system) + 8 : 0;
  for (const message of request.messages) total += estimateTokens(message.content) + 8;
  return total;
}

/**
 * OLLAMA_HOST as Ollama itself parses it (envconfig.Host in ollama/envconfig/config.go):
 * `host`, `host:port`, `scheme://host[:port]`, each with or without a `/path`; no scheme means
 * http on port 11434, `http://` without a port means 80, `https://` 443; a bare `ollama.com`
 * means https port 443; an unparseable port falls back to the default. `0.0.0.0` (listen on
 * every interface) is connected to through loopback. Returns the URL without a trailing slash.
 */
export function parseOllamaHost(value: string): string {
  const text = value.trim();
  let defaultPort = "11434";
  let scheme = "http";
  let hostport = text;
  const schemeAt = text.indexOf("://");
  if (schemeAt < 0) {
    if (text === "ollama.com") {
      scheme = "https";
      hostport = "ollama.com:443";
    }
  } else {
    scheme = text.slice(0, schemeAt).toLowerCase();
    hostport = text.slice(schemeAt + 3);
    if (scheme === "http") defaultPort = "80";
    else if (scheme === "https") defaultPort = "443";
  }
  const slash = hostport.indexOf("/");
  const path = slash >= 0 ? hostport.slice(slash + 1) : "";
  if (slash >= 0) hostport = hostport.slice(0, slash);
  let host: string;
  let port: string;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(hostport);
  const lastColon = hostport.lastIndexOf(":");
  if (bracketed) {
    host = bracketed[1] as string;
    port = bracketed[2] ?? "";
    if (bracketed[2] === undefined) port = defaultPort;
  } else if (lastColon > 0 && hostport.indexOf(":") === lastColon) {
    host = hostport.slice(0, lastColon);
    port = hostport.slice(lastColon + 1);
  } else {
    // net.SplitHostPort failed: the whole thing is the host (or an IP), default port.
    host = hostport || "127.0.0.1";
    port = defaultPort;
  }
  const portNumber = Number(port);
  if (!/^\d+$/.test(port) || portNumber > 65535) port = defaultPort;
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === "::") host = "::1";
  const hostText = host.includes(":") ? `[${host}]` : host;
  const trimmedPath = path.replace(/\/+$/, "");
  return `${scheme}://${hostText}:${port}${trimmedPath ? `/${trimmedPath}` : ""}`;
}

/** Accepts `host:port`, `host` or a full URL (as OLLAMA_HOST does) and returns an http(s) URL. */
export function hostToUrl(host: string, defaultPort: number): string {
  const trimmed = host.trim().replace(/\/+$/, "");
  if (/^https?:\/\//i.test(trimmed)) return trimmed;
  const withPort = /:\d+$/.test(trimmed) || trimmed.startsWith("[") ? trimmed : `${trimmed}:${defaultPort}`;
  // OLLAMA_HOST=0.0.0.0 means "listen everywhere"; to connect we use loopback.
  return `http://${withPort.replace(/^0\.0\.0\.0(?=:)/, "127.0.0.1")}`;
}

function isPrivateIpv4(address: string): boolean {
  const parts = address.split(".").map((part) => Number.parseInt(part, 10));
  const [a = -1, b = -1] = parts;
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/** True for loopback, private-range, link-local and `.local`/`.lan`/single-label hosts. */
export function isLocalUrl(url: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  const family = isIP(hostname);
  if (family === 4) return isPrivateIpv4(hostname);
  if (family === 6) {
    if (hostname === "::1") return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(hostname);
    if (mapped?.[1]) return isPrivateIpv4(mapped[1]);
    return /^f[cd]/.test(hostname) || /^fe[89ab]/.test(hostname);
  }
  return (
    !hostname.includes(".") ||
    hostname.endsWith(".local") ||
    hostname.endsWith(".lan") ||
    hostname.endsWith(".internal")
  );
}

export function elapsedSince(start: number): number {
  return Math.round(performance.now() - start);
}

/** Timeout for one call: the request's, else the provider config's, else the default. */
export function callTimeoutMs(
  request: { timeoutMs?: number | undefined },
  config: { timeout_seconds?: number | undefined },
  defaultMs: number,
): number {
  return (
    request.timeoutMs ?? (config.timeout_seconds !== undefined ? config.timeout_seconds * 1000 : defaultMs)
  );
}

/**
 * Upper bound on the characters of a reply to a request for `maxOutputTokens` tokens: no
 * tokenizer in use averages more than 16 characters per token, so anything longer means the
 * server ignored the limit (num_predict / max_tokens) and the reply is cut and reported as
 * truncated instead of accepted (a 5 MB "draft" for num_predict 2048 was once accepted).
 */
export function replyCharLimit(maxOutputTokens: number): number {
  return Math.max(4096, maxOutputTokens * 16);
}
