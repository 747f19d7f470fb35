/**
 * Runs one fake model server on its own, for manual runs and benchmarks:
 *
 *   node --experimental-strip-types test/kit/serve-fake.ts ollama --port 0 --script script.json
 *   node --experimental-strip-types test/kit/serve-fake.ts anthropic --api-key sk-test
 *   node --experimental-strip-types test/kit/serve-fake.ts openai --models models.json --reject-json-schema
 *
 * Prints the base URL to put in the config (for openai it includes /v1), then serves until
 * SIGINT/SIGTERM. `--models` is a JSON array in the fake's model format (e.g. FakeOllamaModel).
 */
import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { parseArgs } from "node:util";

// The kit imports siblings as `./x.js` (for tsc); under plain type stripping those files are `.ts`.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (specifier.startsWith(".") && specifier.endsWith(".js"))
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      throw error;
    }
  },
});

const usage =
  "usage: serve-fake.ts ollama|anthropic|openai [--port N] [--script file.json] [--models file.json] [--api-key KEY] [--reject-json-schema] [--error-shape openai|vllm]";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string", default: "0" },
    script: { type: "string" },
    models: { type: "string" },
    "api-key": { type: "string" },
    "reject-json-schema": { type: "boolean", default: false },
    "error-shape": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

const kind = positionals[0];
if (values.help || !kind || !["ollama", "anthropic", "openai"].includes(kind)) {
  process.stderr.write(`${usage}\n`);
  process.exit(values.help ? 0 : 2);
}

const port = Number.parseInt(values.port, 10);
const models = values.models ? (JSON.parse(readFileSync(values.models, "utf8")) as unknown[]) : undefined;
const script = values.script;
let server: { url: string; close(): Promise<void> };
let printed: string;

if (kind === "ollama") {
  const { startFakeOllama } = await import("./fake-ollama.js");
  server = await startFakeOllama(script, { port, ...(models ? { models: models as never } : {}) });
  printed = server.url;
} else if (kind === "anthropic") {
  const { startFakeAnthropic } = await import("./fake-anthropic.js");
  server = await startFakeAnthropic(script, {
    port,
    ...(models ? { models: models as never } : {}),
    ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
  });
  printed = server.url;
} else {
  const { startFakeOpenAI } = await import("./fake-openai.js");
  const fake = await startFakeOpenAI(script, {
    port,
    ...(models ? { models: models as never } : {}),
    ...(values["api-key"] ? { apiKey: values["api-key"] } : {}),
    rejectJsonSchema: values["reject-json-schema"],
    ...(values["error-shape"] === "vllm" ? { errorShape: "vllm" as const } : {}),
  });
  server = fake;
  printed = fake.baseUrl;
}

process.stdout.write(`${printed}\n`);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
