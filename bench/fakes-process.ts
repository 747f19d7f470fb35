/**
 * The fake model servers of `bench:startup` and `bench:pipeline`, in a process of their own so the
 * timed process pays nothing for them:
 *
 *   node --experimental-strip-types --import ./bench/edits-register.ts bench/fakes-process.ts scripts.json
 *
 * `scripts.json` is `{ "anthropic": ScriptInit, "ollama": ScriptInit, "openai": ScriptInit }` (see
 * test/kit/script.ts). Prints one JSON line `{ anthropic, ollama, openai }` with the base URLs, then
 * reads commands on stdin, one per line:
 *   `dump`  prints one JSON line: every request recorded since the last dump (server, method,
 *           path, headers, raw body, and the reply delay the script applied), then forgets them;
 *   `quit`  closes the servers and exits.
 */
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { startFakeAnthropic } from "../test/kit/fake-anthropic.js";
import { startFakeOllama } from "../test/kit/fake-ollama.js";
import { startFakeOpenAI } from "../test/kit/fake-openai.js";
import type { ScriptInit } from "../test/kit/script.js";

/** One request as the bare client replays it. */
export interface ReplayRequest {
  server: "anthropic" | "ollama" | "openai";
  method: string;
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** When it arrived, ms since the servers started (orders the replay). */
  at: number;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: fakes-process.ts scripts.json\n");
  process.exit(2);
}
const scripts = JSON.parse(readFileSync(file, "utf8")) as Record<
  "anthropic" | "ollama" | "openai",
  ScriptInit
>;
const anthropic = await startFakeAnthropic(scripts.anthropic);
const ollama = await startFakeOllama(scripts.ollama);
const openai = await startFakeOpenAI(scripts.openai);
const servers = { anthropic, ollama, openai } as const;
const started = performance.now();
const arrivals = new Map<object, number>();
// Stamp arrivals as they come (requests are appended to each server's list on arrival).
const stamp = setInterval(() => {
  for (const server of Object.values(servers))
    for (const request of server.requests)
      if (!arrivals.has(request)) arrivals.set(request, performance.now() - started);
}, 1);

process.stdout.write(
  `${JSON.stringify({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl })}\n`,
);

const skipHeaders = new Set(["host", "content-length", "connection", "transfer-encoding"]);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "dump") {
    const out: ReplayRequest[] = [];
    for (const [name, server] of Object.entries(servers) as Array<
      [keyof typeof servers, (typeof servers)[keyof typeof servers]]
    >) {
      for (const request of server.requests.splice(0)) {
        const headers = Object.fromEntries(
          Object.entries(request.headers).filter(([key]) => !skipHeaders.has(key)),
        );
        const query = new URLSearchParams(request.query).toString();
        out.push({
          server: name,
          method: request.method,
          url: `${server.url}${request.path}${query ? `?${query}` : ""}`,
          headers,
          body: request.rawBody,
          at: arrivals.get(request) ?? 0,
        });
      }
    }
    out.sort((a, b) => a.at - b.at);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (line.trim() === "quit") break;
}
clearInterval(stamp);
await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
process.exit(0);
