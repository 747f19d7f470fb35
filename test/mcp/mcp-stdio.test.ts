/**
 * `hierocode mcp` through the official MCP client (SDK v2) spawning the BUILT CLI over stdio,
 * against the fake model servers: tools/list, draft_code (diff accepted by `git apply --check`),
 * progress during a slow draft, cancellation reaching the model server, path refusals,
 * usage_summary against the ledger, submit_task + task_status.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { FakeOllama } from "../kit/fake-ollama.js";
import type { FakeOpenAi } from "../kit/fake-openai.js";
import {
  cliPath,
  gitIn,
  leaveHalfWrittenTree,
  makeSandbox,
  roleConfig,
  runCliProcess,
  type Sandbox,
  waitFor,
} from "../pipeline/support/e2e.js";
import { searchReplace, wholeFile } from "../pipeline/support/harness.js";
import {
  acceptVerdict,
  type RoleFakes,
  removeSandbox,
  scriptOneUnitRun,
  startRoleFakes,
} from "../pipeline/support/role-fakes.js";

let fakes: RoleFakes;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let sandbox: Sandbox;
let client: Client | undefined;
let stderr = "";
const cleanup: string[] = [];

beforeEach(async () => {
  fakes = await startRoleFakes();
  ({ ollama, openai } = fakes);
  sandbox = makeSandbox(roleConfig(fakes.urls));
  stderr = "";
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  await fakes.close();
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
  removeSandbox(sandbox);
});

async function connect(extraEnv: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, "mcp"],
    env: { ...sandbox.env, ...extraEnv },
    cwd: sandbox.repo,
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const created = new Client({ name: "hierocode-test", version: "1.0.0" });
  await created.connect(transport);
  client = created;
  return created;
}

interface DraftResult {
  status: string;
  diff: string;
  drafter_model: string;
  included_files: string[];
  skipped_files: string[];
  warnings: string[];
  checks: unknown[];
  usage: { input_tokens: number; output_tokens: number; ms: number };
  error?: { type: string; message: string; suggestion: string };
}

describe("hierocode mcp (stdio, official client)", { timeout: 60_000 }, () => {
  it("lists the five tools with output schemas and read-only hints", async () => {
    const started = Date.now();
    const mcp = await connect();
    const { tools } = await mcp.listTools();
    const elapsed = Date.now() - started;
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      "draft_code",
      "drafter_info",
      "submit_task",
      "task_status",
      "usage_summary",
    ]);
    for (const tool of tools) {
      expect(tool.outputSchema, tool.name).toBeDefined();
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
    }
    // spawn + initialize + tools/list; the goal is 1 s on an idle machine (see bench:service)
    expect(elapsed).toBeLessThan(10_000);
  });

  it("draft_code returns a diff git apply accepts, with progress during a slow draft, and writes nothing", async () => {
    ollama.script.on(
      { user: "lib/deep/nested/util.py" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return 2 * x") },
      { delayMs: 1500 },
    );
    const mcp = await connect({ HIEROCODE_MCP_HEARTBEAT_MS: "200" });
    const updates: Array<{ progress: number; message?: string }> = [];
    const result = await mcp.callTool(
      {
        name: "draft_code",
        arguments: {
          goal: "write 2 * x",
          target_file: "lib/deep/nested/util.py",
          context_files: ["src/app/math.ts"],
          acceptance: "double() returns 2 * x",
        },
      },
      { onprogress: (update) => updates.push(update) },
    );
    const draft = result.structuredContent as DraftResult;
    expect(draft.status, JSON.stringify(draft.error)).toBe("ok");
    expect(result.isError).toBeFalsy();
    expect(draft.drafter_model).toBe("qwen2.5-coder:7b");
    expect(draft.included_files).toEqual(
      expect.arrayContaining(["lib/deep/nested/util.py", "src/app/math.ts"]),
    );
    expect(draft.usage.output_tokens).toBeGreaterThan(0);
    expect(draft.usage.ms).toBeGreaterThanOrEqual(1500);
    expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual(draft);
    const check = gitIn(sandbox, ["apply", "--check", "-"], draft.diff);
    expect(check.status, check.stderr).toBe(0);
    expect(gitIn(sandbox, ["status", "--porcelain"]).stdout.trim()).toBe("");
    // phases plus heartbeats while the drafter is slow; progress strictly increases
    expect(updates.length).toBeGreaterThanOrEqual(4);
    expect(updates.map((update) => update.progress)).toEqual(
      [...updates.map((u) => u.progress)].sort((a, b) => a - b),
    );
    expect(updates.some((update) => /drafter/.test(update.message ?? ""))).toBe(true);
    const prompt = JSON.stringify(ollama.lastRequest("/api/chat").body.messages);
    expect(prompt).toContain("double() returns 2 * x");
  });

  it("draft_code first completes a write a killed hierocode left half done, then drafts against it", async () => {
    const newStrings =
      'export function shout(text: string): string {\n  return text.toUpperCase() + "!";\n}\n';
    const newUtil = "def double(x):\n    return x + x\n";
    await leaveHalfWrittenTree(sandbox, {
      "src/app/strings.ts": newStrings,
      "lib/deep/nested/util.py": newUtil,
    });
    // the drafter edits the NEW content of the file the crash had not written yet
    ollama.script.on(
      { user: "lib/deep/nested/util.py" },
      { text: searchReplace("lib/deep/nested/util.py", "    return x + x", "    return 2 * x") },
    );
    const mcp = await connect();
    const result = await mcp.callTool({
      name: "draft_code",
      arguments: { goal: "write 2 * x", target_file: "lib/deep/nested/util.py" },
    });
    const draft = result.structuredContent as DraftResult;
    expect(draft.status, `${JSON.stringify(draft)}\n${stderr}`).toBe("ok");
    expect(draft.diff).toContain("-    return x + x");
    expect(draft.warnings.join("\n")).toMatch(/interrupted write .* was completed: 2 file\(s\)/);
    // all-new, no journal, no temp files
    expect(readFileSync(join(sandbox.repo, "src/app/strings.ts"), "utf8")).toBe(newStrings);
    expect(readFileSync(join(sandbox.repo, "lib/deep/nested/util.py"), "utf8")).toBe(newUtil);
    const journals = join(sandbox.env.HIEROCODE_STATE_DIR ?? "", "journal");
    for (const folder of existsSync(journals) ? readdirSync(journals) : [])
      expect(readdirSync(join(journals, folder))).toEqual([]);
    expect(gitIn(sandbox, ["status", "--porcelain", "--untracked-files=all"]).stdout).toBe(
      " M lib/deep/nested/util.py\n M src/app/strings.ts\n",
    );
  });

  it("cancelling the call aborts the model request", async () => {
    ollama.script.on({ user: "README.md" }, "hang");
    const mcp = await connect();
    const controller = new AbortController();
    const call = mcp.callTool(
      { name: "draft_code", arguments: { goal: "extend", target_file: "README.md" } },
      { signal: controller.signal },
    );
    const [request] = await ollama.waitForRequests(1, "/api/chat");
    controller.abort("the user pressed Stop");
    await expect(call).rejects.toThrow();
    await waitFor(() => request?.aborted === true, 10_000);
  });

  it("refuses paths outside the repository with one error shape and calls no model", async () => {
    const outside = mkdtempSync(join(tmpdir(), "haco-outside-"));
    cleanup.push(outside);
    writeFileSync(join(outside, "secret.txt"), "s3cret\n");
    symlinkSync(outside, join(sandbox.repo, "link-out"));
    const mcp = await connect();
    const attempts: Array<Record<string, unknown>> = [
      { target_file: "../outside.txt" },
      { target_file: join(outside, "secret.txt") },
      { target_file: "link-out/secret.txt" },
      { target_file: ".git/config" },
      { target_file: "src/app/math.ts", context_files: ["../../etc/passwd"] },
      { target_file: "src/app/math.ts", repo_root: outside },
    ];
    for (const extra of attempts) {
      const result = await mcp.callTool({ name: "draft_code", arguments: { goal: "x", ...extra } });
      const draft = result.structuredContent as DraftResult;
      expect(result.isError, JSON.stringify(extra)).toBe(true);
      expect(draft.status).toBe("error");
      expect(draft.error?.type, JSON.stringify(extra)).toBe("path");
      expect(Object.keys(draft.error ?? {}).sort()).toEqual(["message", "suggestion", "type"]);
    }
    expect(ollama.requestsTo("/api/chat")).toHaveLength(0);
  });

  it("usage_summary matches the persistent ledger and drafter_info describes the drafter", async () => {
    ollama.script.on({ user: "README.md" }, { text: wholeFile("README.md", "# demo\n\nmore\n") });
    const mcp = await connect();
    for (let index = 0; index < 2; index++) {
      const result = await mcp.callTool({
        name: "draft_code",
        arguments: { goal: "extend", target_file: "README.md" },
      });
      expect((result.structuredContent as DraftResult).status).toBe("ok");
    }
    const summary = (await mcp.callTool({ name: "usage_summary", arguments: { since: "1h" } }))
      .structuredContent as {
      status: string;
      roles: Record<string, { calls: number; input_tokens: number; output_tokens: number }>;
    };
    const ledger = await runCliProcess(sandbox, ["usage", "--since", "1h", "--json"]);
    const report = JSON.parse(ledger.stdout) as {
      roles: Record<string, { calls: number; inputTokens: number; outputTokens: number }>;
    };
    expect(summary.status).toBe("ok");
    expect(summary.roles.drafter?.calls).toBe(2);
    expect(summary.roles.drafter).toMatchObject({
      calls: report.roles.drafter?.calls,
      input_tokens: report.roles.drafter?.inputTokens,
      output_tokens: report.roles.drafter?.outputTokens,
    });
    const info = (await mcp.callTool({ name: "drafter_info", arguments: {} })).structuredContent as Record<
      string,
      unknown
    >;
    expect(info).toMatchObject({
      status: "ok",
      drafter_model: "qwen2.5-coder:7b",
      provider: "local",
      reachable: true,
    });
    expect(info.param_count_b).toBeCloseTo(7.6, 1);
    expect(info.num_ctx).toBeGreaterThan(0);
  });

  it("reads the config on every call: an edited drafter applies to the next call", async () => {
    const mcp = await connect();
    const before = (await mcp.callTool({ name: "drafter_info", arguments: {} })).structuredContent as {
      drafter_model: string;
    };
    expect(before.drafter_model).toBe("qwen2.5-coder:7b");
    const config = roleConfig(fakes.urls);
    config.routing.drafter.model = "llama3.2:latest";
    writeFileSync(join(sandbox.home, ".hierocode.yaml"), stringify(config));
    const after = (await mcp.callTool({ name: "drafter_info", arguments: {} })).structuredContent as {
      drafter_model: string;
      param_count_b: number | null;
    };
    expect(after.drafter_model).toBe("llama3.2:latest");
  });

  it("submit_task queues a whole run and task_status returns its diffs", async () => {
    scriptOneUnitRun(fakes);
    openai.script.setDefault(acceptVerdict);
    const mcp = await connect();
    const submitted = (
      await mcp.callTool({
        name: "submit_task",
        arguments: { task: "simplify double", repo_root: sandbox.repo },
      })
    ).structuredContent as { status: string; job_id: string };
    expect(submitted.status).toBe("ok");
    let status: { state: string; diffs: Array<{ file: string; diff: string }>; summary: string | null } = {
      state: "queued",
      diffs: [],
      summary: null,
    };
    const deadline = Date.now() + 40_000;
    while (!["succeeded", "failed", "cancelled"].includes(status.state) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await mcp.callTool({ name: "task_status", arguments: { job_id: submitted.job_id } }))
        .structuredContent as typeof status;
    }
    expect(status.state, `${JSON.stringify(status)}\n${stderr}`).toBe("succeeded");
    expect(status.diffs.map((item) => item.file)).toEqual(["lib/deep/nested/util.py"]);
    expect(status.summary).toMatch(/1 accepted/);
    const check = gitIn(sandbox, ["apply", "--check", "-"], status.diffs[0]?.diff);
    expect(check.status, check.stderr).toBe(0);
    expect(gitIn(sandbox, ["status", "--porcelain"]).stdout.trim()).toBe("");
    const unknown = await mcp.callTool({ name: "task_status", arguments: { job_id: "job_nope" } });
    expect((unknown.structuredContent as { error: { type: string } }).error.type).toBe("input");
  });
});
