import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { recommendedDrafter } from "../../src/app/init.js";
import { ExitCode } from "../../src/errors.js";
import { installFakeClis } from "../kit/fake-cli.js";
import { startFakeOllama } from "../kit/index.js";
import { cli, sandboxHome } from "./cli-harness.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Config = {
  providers: Record<string, { type: string; base_url?: string }>;
  routing: Record<string, { provider: string; model: string }>;
};

async function wizardSandbox(
  options: {
    claudeMode?: "ok" | "not_logged_in";
    install?: Array<"claude" | "codex">;
    ramGib?: number;
    models?: Parameters<typeof startFakeOllama>[1];
  } = {},
) {
  const ollama = await startFakeOllama(undefined, options.models ?? {});
  cleanups.push(() => ollama.close());
  const fakes = installFakeClis({
    ...(options.claudeMode ? { claudeMode: options.claudeMode } : {}),
    codexMode: "not_logged_in",
    install: options.install ?? [],
  });
  cleanups.push(() => fakes.cleanup());
  const { home, env } = sandboxHome();
  const fullEnv = {
    ...fakes.env,
    ...env,
    OLLAMA_HOST: ollama.url,
    LMSTUDIO_HOST: "http://127.0.0.1:9/v1",
    HIEROCODE_FAKE_RAM_GIB: String(options.ramGib ?? 32),
    CI: "1",
  };
  return { ollama, fakes, home, env: fullEnv, file: join(home, ".hierocode.yaml") };
}

describe("hierocode init", () => {
  it("without --wizard writes the minimal all-Ollama config and says it is degraded", async () => {
    const { home, env } = sandboxHome();
    const result = await cli(["init"], { ...process.env, ...env });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/degraded mode/);
    const config = parse(readFileSync(join(home, ".hierocode.yaml"), "utf8")) as Config;
    expect(config.routing.planner).toEqual({ provider: "local_ollama", model: "llama3.2:3b" });
    expect(config.routing.drafter).toEqual({ provider: "local_ollama", model: "llama3.2:3b" });
    expect(config.providers.local_ollama?.type).toBe("ollama");
  });

  it("refuses to overwrite without --force", async () => {
    const { home, env } = sandboxHome();
    writeFileSync(join(home, ".hierocode.yaml"), "# mine\n");
    const result = await cli(["init"], { ...process.env, ...env });
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toMatch(/already exists.*\n.*--force/);
    expect(readFileSync(join(home, ".hierocode.yaml"), "utf8")).toBe("# mine\n");
  });

  it("--wizard --yes picks the pulled coder model and writes a config that doctor accepts", async () => {
    const { env, file } = await wizardSandbox({
      models: {
        models: [
          { name: "llama3.2:latest", family: "llama", parameterSize: "3.2B", contextLength: 131072 },
          {
            name: "qwen2.5-coder:7b",
            family: "qwen2",
            architecture: "qwen2",
            parameterSize: "7.6B",
            contextLength: 32768,
          },
          {
            name: "nomic-embed-text:latest",
            family: "nomic-bert",
            parameterSize: "137M",
            contextLength: 8192,
          },
        ],
      },
    });
    const result = await cli(["init", "--wizard", "--yes"], env);
    expect(result.code).toBe(0);
    const config = parse(readFileSync(file, "utf8")) as Config;
    expect(config.routing.drafter).toEqual({ provider: "local_ollama", model: "qwen2.5-coder:7b" });
    // No planner login or key: the planner falls back to Ollama, with a warning.
    expect(config.routing.planner?.provider).toBe("local_ollama");
    expect(result.stderr).toMatch(/planner falls back to Ollama/);
    const doctor = await cli(["doctor"], env);
    expect(doctor.stdout).toContain("all roles can work");
    expect(doctor.code).toBe(0);
    // No YAML anchors/aliases (planner and reviewer share the fallback binding), and `models set`
    // changes exactly the named role.
    expect(readFileSync(file, "utf8")).not.toMatch(/^\s*\w+: [&*]\w+/m);
    const before = parse(readFileSync(file, "utf8")) as Config;
    expect((await cli(["models", "set", "planner", "llama3.2:latest"], env)).code).toBe(0);
    const after = parse(readFileSync(file, "utf8")) as Config;
    expect(after.routing.planner).toEqual({ provider: "local_ollama", model: "llama3.2:latest" });
    expect(after.routing.drafter).toEqual(before.routing.drafter);
    expect(after.routing.reviewer).toEqual(before.routing.reviewer);
  });

  it("prefers a pulled model that fits over recommending a download, and recommends by RAM otherwise", async () => {
    const small = await wizardSandbox({
      ramGib: 8,
      models: {
        models: [
          { name: "qwen2.5-coder:14b", family: "qwen2", parameterSize: "14.8B" },
          { name: "llama3.2:1b", family: "llama", parameterSize: "1.2B" },
        ],
      },
    });
    await cli(["init", "--wizard", "--yes"], small.env);
    expect((parse(readFileSync(small.file, "utf8")) as Config).routing.drafter?.model).toBe("llama3.2:1b");

    const empty = await wizardSandbox({ ramGib: 16, models: { models: [] } });
    const result = await cli(["init", "--wizard", "--yes"], empty.env);
    expect((parse(readFileSync(empty.file, "utf8")) as Config).routing.drafter?.model).toBe("llama3.2:3b");
    expect(result.stdout).toContain("ollama pull llama3.2:3b");
  });

  it("on a 24 GB machine (23.5 GiB usable) picks the pulled 7B coder over a smaller general model", async () => {
    const sandbox = await wizardSandbox({ ramGib: 23.5 });
    await cli(["init", "--wizard", "--yes"], sandbox.env);
    expect((parse(readFileSync(sandbox.file, "utf8")) as Config).routing.drafter?.model).toBe(
      "qwen2.5-coder:7b",
    );
    expect(recommendedDrafter(23.5 * 1024 ** 3).model).toBe("qwen2.5-coder:7b");
    expect(recommendedDrafter(11.6 * 1024 ** 3).model).toBe("llama3.2:1b");
    expect(recommendedDrafter(64 * 1024 ** 3).model).toBe("qwen2.5-coder:14b");
  });

  it("--wizard --yes routes planner and reviewer through a logged-in claude", async () => {
    const { env, file, fakes } = await wizardSandbox({ claudeMode: "ok", install: ["claude"] });
    const result = await cli(["init", "--wizard", "--yes"], env);
    expect(result.code).toBe(0);
    const config = parse(readFileSync(file, "utf8")) as Config;
    expect(config.providers.claude_pro?.type).toBe("claude_code_cli");
    expect(config.routing.planner?.provider).toBe("claude_pro");
    expect(config.routing.reviewer?.provider).toBe("claude_pro");
    expect(result.stderr).not.toMatch(/falls back to Ollama/);
    expect(fakes.logOf("claude").some((call) => call.argv.includes("-p"))).toBe(false);
  });

  it("--wizard treats an installed but logged-out claude as unavailable and says how to log in", async () => {
    const { env, file } = await wizardSandbox({ claudeMode: "not_logged_in", install: ["claude"] });
    const result = await cli(["init", "--wizard", "--yes"], env);
    const config = parse(readFileSync(file, "utf8")) as Config;
    expect(config.routing.planner?.provider).toBe("local_ollama");
    expect(result.stdout).toMatch(/claude is installed but not logged in/);
  });

  it("--wizard uses ANTHROPIC_API_KEY with claude-haiku-4-5 when no CLI is logged in", async () => {
    const sandbox = await wizardSandbox();
    const result = await cli(["init", "--wizard", "--yes"], { ...sandbox.env, ANTHROPIC_API_KEY: "sk-test" });
    expect(result.code).toBe(0);
    const config = parse(readFileSync(sandbox.file, "utf8")) as Config;
    expect(config.routing.planner).toEqual({ provider: "anthropic_api", model: "claude-haiku-4-5" });
    expect(readFileSync(sandbox.file, "utf8")).not.toContain("sk-test");
  });

  it("--wizard without a terminal and without --yes refuses and writes nothing", async () => {
    const { env, file } = await wizardSandbox();
    const result = await cli(["init", "--wizard"], env);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain("--yes");
    expect(existsSync(file)).toBe(false);
  });
});
