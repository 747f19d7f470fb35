import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { detectClaude, detectCodex } from "../../src/providers/cli-detect.js";
import { type FakeClis, type InstallFakeClisOptions, installFakeClis } from "../kit/fake-cli.js";

const scratch = mkdtempSync(join(tmpdir(), "hierocode-detect-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let fakes: FakeClis | undefined;
afterEach(() => fakes?.cleanup());

function install(options: InstallFakeClisOptions = {}): FakeClis {
  fakes = installFakeClis(options);
  return fakes;
}

/** An executable shell script in the scratch folder. */
function script(name: string, body: string): string {
  const file = join(scratch, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function spentMoney(kit: FakeClis): boolean {
  return (
    kit.logOf("claude").some((call) => call.argv.includes("-p")) ||
    kit.logOf("codex").some((call) => call.argv[0] === "exec")
  );
}

describe("detectClaude", () => {
  it("installed and logged in", async () => {
    const kit = install();
    expect(await detectClaude(kit.env)).toMatchObject({
      installed: true,
      version: "2.1.197",
      loggedIn: true,
      authMethod: "claude.ai",
    });
    expect(spentMoney(kit)).toBe(false);
  });

  it("logged in through ANTHROPIC_API_KEY (not validated, as the real CLI)", async () => {
    const kit = install({ claudeMode: "not_logged_in", extraEnv: { ANTHROPIC_API_KEY: "sk-ant-dummy" } });
    expect(await detectClaude(kit.env)).toMatchObject({ loggedIn: true, authMethod: "api_key" });
  });

  it("installed but not logged in, with the login hint", async () => {
    const kit = install({ claudeMode: "not_logged_in" });
    const detection = await detectClaude(kit.env);
    expect(detection).toMatchObject({
      installed: true,
      loggedIn: false,
      authMethod: "none",
      hint: "run `claude /login` (or `claude auth login`)",
    });
    expect(detection.message).toContain("not logged in");
    expect(spentMoney(kit)).toBe(false);
  });

  it("missing, with the install hint", async () => {
    const kit = install({ install: ["codex"] });
    const detection = await detectClaude({ ...kit.env, PATH: kit.binDir });
    expect(detection).toMatchObject({ installed: false });
    expect(detection.hint).toContain("@anthropic-ai/claude-code");
  });

  it("honours a configured binary path", async () => {
    const kit = install({ install: ["codex"] });
    const installedElsewhere = installFakeClis();
    try {
      expect(
        await detectClaude({ ...kit.env, PATH: kit.binDir }, installedElsewhere.claudePath),
      ).toMatchObject({ installed: true, loggedIn: true });
    } finally {
      installedElsewhere.cleanup();
    }
  });

  it("a binary that hangs on --version cannot hang detection", async () => {
    const started = Date.now();
    const detection = await detectClaude({ PATH: process.env.PATH }, script("claude-hangs", "sleep 1000"), {
      timeoutMs: 400,
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(detection.installed).toBe(false);
    expect(detection.message).toContain("did not answer");
  });

  it("a binary that hangs on auth status gives an unknown login state, in bounded time", async () => {
    const binary = script(
      "claude-auth-hangs",
      'if [ "$1" = "--version" ]; then echo "2.1.197 (Claude Code)"; exit 0; fi\nsleep 1000',
    );
    const detection = await detectClaude({ PATH: process.env.PATH }, binary, { timeoutMs: 400 });
    expect(detection).toMatchObject({ installed: true, version: "2.1.197" });
    expect(detection.loggedIn).toBeUndefined();
  });
});

describe("detectCodex", () => {
  it("logged in according to codex doctor --json", async () => {
    const kit = install();
    expect(await detectCodex(kit.env)).toMatchObject({ installed: true, version: "0.169.0", loggedIn: true });
    expect(kit.logOf("codex").map((call) => call.argv)).toEqual([["--version"], ["doctor", "--json"]]);
  });

  it("logged in through CODEX_API_KEY (doctor sees env auth)", async () => {
    const kit = install({ codexMode: "not_logged_in", extraEnv: { CODEX_API_KEY: "sk-dummy" } });
    expect(await detectCodex(kit.env)).toMatchObject({ loggedIn: true, authMethod: "env:CODEX_API_KEY" });
  });

  it("not logged in, with the login hint and without ever running codex exec", async () => {
    const kit = install({ codexMode: "not_logged_in" });
    const detection = await detectCodex(kit.env);
    expect(detection).toMatchObject({
      installed: true,
      loggedIn: false,
      hint: "run `codex login` (or set CODEX_API_KEY)",
    });
    expect(detection.message).toContain("no Codex credentials were found");
    expect(spentMoney(kit)).toBe(false);
  });

  it.each([
    ["ok", {}, true],
    ["not_logged_in", {}, false],
    ["not_logged_in", { CODEX_API_KEY: "sk-dummy" }, true],
  ] as const)(
    "without doctor, falls back to login status (mode %s, env %j → %s)",
    async (codexMode, extraEnv, loggedIn) => {
      const kit = install({ codexMode, extraEnv: { FAKE_CODEX_NO_DOCTOR: "1", ...extraEnv } });
      expect(await detectCodex(kit.env)).toMatchObject({ installed: true, loggedIn });
      expect(kit.logOf("codex").map((call) => call.argv[0])).toEqual(["--version", "doctor", "login"]);
    },
  );

  it("missing, with the install hint", async () => {
    const kit = install({ install: ["claude"] });
    const detection = await detectCodex({ ...kit.env, PATH: kit.binDir });
    expect(detection).toMatchObject({ installed: false });
    expect(detection.hint).toContain("@openai/codex");
  });

  it("a binary that hangs cannot hang detection", async () => {
    const started = Date.now();
    const detection = await detectCodex({ PATH: process.env.PATH }, script("codex-hangs", "sleep 1000"), {
      timeoutMs: 400,
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(detection.installed).toBe(false);
  });
});
