import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { type FakeOllama, startFakeOllama } from "../kit/index.js";
import { builtCli, isolatedEnv, runExecutable, runInProcess } from "../worker/cli-io.js";

const kit = ["CLAUDE.md", "bin/worker", ".haco/prompts/ticket_template.md", "PLAN.md"];

function emptyRepo(): string {
  const root = mkdtempSync(join(tmpdir(), "hierocode-kit-"));
  execFileSync("git", ["init", "-q"], { cwd: root });
  return root;
}

let fake: FakeOllama | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

describe("hierocode supervisor init", () => {
  it("writes the rules, the executable bridge, the ticket template and a PLAN.md", async () => {
    const root = emptyRepo();
    const result = await runInProcess(["supervisor", "init", "--repo", root], isolatedEnv());
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toEqual(kit.map((file) => `wrote ${file}`));
    for (const file of kit) expect(existsSync(join(root, file))).toBe(true);
    expect(statSync(join(root, "bin/worker")).mode & 0o777).toBe(0o755);
    const rules = readFileSync(join(root, "CLAUDE.md"), "utf8");
    for (const step of [
      "**Plan.**",
      "**Delegate.**",
      "**Review.**",
      "**Integrate.**",
      "**Verify.**",
      "**Iterate.**",
      "**Commit.**",
    ]) {
      expect(rules).toContain(step);
    }
    expect(rules).toContain("bin/worker");
    expect(rules).toContain("hierocode worker");
    expect(rules).toContain("never writes to disk");
    // the MCP tools are the preferred bridge, bin/worker the fallback
    for (const tool of ["draft_code", "submit_task", "task_status", "drafter_info", "usage_summary"]) {
      expect(rules).toContain(tool);
    }
    expect(rules).toContain("mcp__hierocode__draft_code");
    expect(rules).toContain("hierocode mcp install --claude");
    expect(rules.indexOf("Preferred: the hierocode MCP tools")).toBeLessThan(rules.indexOf("Fallback"));
    expect(readFileSync(join(root, ".haco/prompts/ticket_template.md"), "utf8")).toContain(
      "## Output format",
    );
    expect(readFileSync(join(root, "PLAN.md"), "utf8")).toContain("## Tickets");
  });

  it("writes AGENTS.md for codex", async () => {
    const root = emptyRepo();
    const result = await runInProcess(
      ["supervisor", "init", "--agent", "codex", "--repo", root],
      isolatedEnv(),
    );
    expect(result.code).toBe(0);
    expect(readFileSync(join(root, "AGENTS.md"), "utf8")).toContain("Supervisor rules (Codex");
    expect(existsSync(join(root, "CLAUDE.md"))).toBe(false);
    expect(
      (await runInProcess(["supervisor", "init", "--agent", "gemini", "--repo", root], isolatedEnv())).code,
    ).toBe(ExitCode.usage);
  });

  it("refuses to overwrite anything without --force, writing none of the files", async () => {
    const root = emptyRepo();
    writeFileSync(join(root, "PLAN.md"), "my plan\n");
    const refused = await runInProcess(["supervisor", "init", "--repo", root], isolatedEnv());
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.stderr).toContain("not overwriting existing files: PLAN.md");
    expect(readFileSync(join(root, "PLAN.md"), "utf8")).toBe("my plan\n");
    expect(existsSync(join(root, "CLAUDE.md"))).toBe(false);
    expect(existsSync(join(root, "bin/worker"))).toBe(false);

    const forced = await runInProcess(["supervisor", "init", "--force", "--repo", root], isolatedEnv());
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("replaced PLAN.md");
    expect(readFileSync(join(root, "PLAN.md"), "utf8")).toContain("# PLAN:");
  });

  it("bin/worker calls hierocode worker and passes arguments and stdin through", async () => {
    expect(existsSync(builtCli), "run `npm run build` first (npm test does)").toBe(true);
    const root = emptyRepo();
    await runInProcess(["supervisor", "init", "--repo", root], isolatedEnv());
    fake = await startFakeOllama({ default: { text: "```python\nx = 1\n```" } });
    const env = {
      ...isolatedEnv({ OLLAMA_HOST: fake.url, HACO_WORKER_MODEL: "qwen2.5-coder:7b" }),
      HIEROCODE_BIN: builtCli,
    };
    // spawned asynchronously: the fake server lives in this process and must keep answering
    const viaArgument = await runExecutable(join(root, "bin/worker"), ["Set x."], { env });
    expect(viaArgument).toMatchObject({ code: 0, stdout: "x = 1\n" });
    const viaStdin = await runExecutable(join(root, "bin/worker"), [], { env, input: "Set x from stdin." });
    expect(viaStdin).toMatchObject({ code: 0, stdout: "x = 1\n" });
    expect(fake.lastRequest("/api/chat").body.messages[1].content).toBe("Set x from stdin.");
  });
});
