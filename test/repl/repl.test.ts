/**
 * The REPL (`hierocode` with no arguments) in a real pseudo-terminal, read through a terminal
 * emulator, against the fake servers. Few sessions, several checks each (the suite runs on two
 * cores): every wait is for the final prompt after the command's output.
 */
import { spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { closeAllDatabases, openStateDatabase } from "../../src/store/database.js";
import { usageLedger } from "../../src/store/usage-ledger.js";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { ctrl, type PtySession, startPtySession } from "../kit/pty-session.js";
import { cliPath, makeSandbox, roleConfig, type Sandbox } from "../pipeline/support/e2e.js";
import { files, searchReplace, unit } from "../pipeline/support/harness.js";

const accept = { json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] } };
const prompt = /hierocode>$/;

let anthropic: FakeAnthropic;
let ollama: FakeOllama;
let openai: FakeOpenAi;
let session: PtySession | undefined;

beforeEach(async () => {
  [anthropic, ollama, openai] = await Promise.all([
    startFakeAnthropic(),
    startFakeOllama(),
    startFakeOpenAI(),
  ]);
  openai.script.setDefault(accept);
});

afterEach(async () => {
  await session?.close();
  session = undefined;
  closeAllDatabases();
  await Promise.all([anthropic.close(), ollama.close(), openai.close()]);
});

function sandboxWith(extra: Record<string, unknown> = {}, extraFiles: Record<string, string> = {}): Sandbox {
  return makeSandbox(
    { ...roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl }), ...extra },
    extraFiles,
  );
}

function open(sandbox: Sandbox, env: Record<string, string> = {}): PtySession {
  session = startPtySession([process.execPath, cliPath], {
    cwd: sandbox.repo,
    env: { ...sandbox.env, ...env },
  });
  return session;
}

/** Types an entry and waits for the next prompt after its output; returns that output. */
async function entry(pty: PtySession, text: string, timeoutMs = 15_000): Promise<string> {
  const since = pty.mark();
  pty.type(`${text}\r`);
  const out = await pty.waitFor(/[\s\S]*\n.*hierocode>$/, { since, timeoutMs });
  return out;
}

/** Waits for a question (the text ends with it) and answers. */
async function answer(pty: PtySession, question: RegExp, keys: string, since?: number): Promise<void> {
  await pty.waitFor(question, since !== undefined ? { since } : {});
  pty.type(`${keys}\r`);
}

const userConfig = (sandbox: Sandbox) =>
  parse(readFileSync(join(sandbox.home, ".hierocode.yaml"), "utf8")) as Record<string, unknown>;

describe("the REPL in a terminal", { timeout: 90_000 }, () => {
  it("help, tasks saved in the config, plain text, history, /config edit rollback, /usage bars, Ctrl-C twice", async () => {
    const pricing =
      "subscriptions:\n  claude_pro: { provider_type: claude_code_cli, messages_per_window: 100, window_hours: 5 }\n";
    const sandbox = sandboxWith({}, {});
    writeFileSync(join(sandbox.home, "pricing.yaml"), pricing);
    const config = userConfig(sandbox);
    (config.providers as Record<string, unknown>).sub = { type: "claude_code_cli" };
    config.pricing_file = join(sandbox.home, "pricing.yaml");
    const { stringify } = await import("yaml");
    writeFileSync(join(sandbox.home, ".hierocode.yaml"), stringify(config));
    const editor = join(sandbox.home, "bad-editor.sh");
    writeFileSync(editor, '#!/bin/sh\nprintf "routing: [unclosed\\n" > "$1"\n');
    chmodSync(editor, 0o755);
    const pty = open(sandbox, { EDITOR: editor });
    await pty.waitFor(prompt);

    const help = await entry(pty, "/help");
    for (const name of ["/run <task>", "/apply", "/usage", "/task save", "/resume", "/undo", "/config edit"])
      expect(help).toContain(name);
    expect(await entry(pty, "/?")).toContain("/models set <role> <model>");

    // Tab completes a command name.
    let since = pty.mark();
    pty.type("/us\t");
    await pty.waitFor("/usage", { since });
    pty.type(ctrl.c);
    await pty.waitFor(prompt, { since });

    // /task save, list, delete: persisted under tasks: in the user config.
    expect(await entry(pty, "/task save fixit make add handle strings")).toContain("saved task fixit");
    expect((userConfig(sandbox).tasks as Record<string, string>).fixit).toBe("make add handle strings");
    expect(await entry(pty, "/task list")).toMatch(/fixit +make add handle strings/);
    since = pty.mark();
    pty.type("/task d\t");
    await pty.waitFor("/task delete", { since });
    pty.type(" fix\t");
    await pty.waitFor("/task delete fixit", { since });
    pty.type(ctrl.c);
    await pty.waitFor(prompt, { since });
    expect(await entry(pty, "/task delete fixit")).toContain("deleted task fixit");
    expect(userConfig(sandbox).tasks ?? {}).toEqual({});
    expect(await entry(pty, "/task fixit")).toContain("error: no saved task 'fixit'");
    // A trailing backslash continues the entry on the next line.
    since = pty.mark();
    pty.type("/task save two first line\\\r");
    await pty.waitFor(/\n… ?$/, { since });
    pty.type("second line\r");
    await pty.waitFor(/saved task two\nhierocode>$/, { since });
    expect((userConfig(sandbox).tasks as Record<string, string>).two).toBe("first line\nsecond line");
    expect(await entry(pty, "/task delete two")).toContain("deleted task two");

    // /models set runs `hierocode models set` in-process: the YAML changes, for that role only.
    await entry(pty, "/models set drafter llama3.2:latest -p local");
    const routing = userConfig(sandbox).routing as Record<string, { provider: string; model: string }>;
    expect(routing.drafter).toEqual({ provider: "local", model: "llama3.2:latest" });
    expect(routing.planner).toEqual({ provider: "api", model: "claude-sonnet-4-6" });
    expect(await entry(pty, "/models")).toMatch(/drafter.*llama3\.2:latest/);

    // Plain text in prompt mode asks; n drops it, e puts it back on the line to edit.
    since = pty.mark();
    pty.type("add a multiply function\r");
    await answer(pty, /Run as task\? \[y\/N\/e\(dit\)\]$/, "n", since);
    await pty.waitFor(prompt, { since });
    expect(anthropic.requests).toHaveLength(0);
    since = pty.mark();
    pty.type("add a divide function\r");
    await answer(pty, /Run as task\? \[y\/N\/e\(dit\)\]$/, "e", since);
    await pty.waitFor(/hierocode> add a divide function$/, { since });
    pty.type(ctrl.c);
    await pty.waitFor(prompt, { since });

    // /config edit with an invalid edit: the old file stays, the session goes on.
    const before = readFileSync(join(sandbox.home, ".hierocode.yaml"), "utf8");
    const edited = await entry(pty, "/config edit");
    expect(edited).toContain("error: invalid configuration, the edit was undone");
    // the terminal wraps the long path wherever the temp folder's length puts it
    expect(edited.replace(/\n/g, "")).toContain(".hierocode.yaml.rejected");
    expect(readFileSync(join(sandbox.home, ".hierocode.yaml"), "utf8")).toBe(before);
    expect(await entry(pty, "/task list")).toContain("no saved tasks");

    // /usage: the quota bar at 0%, 60% and 95% of the window.
    expect(await entry(pty, "/usage")).toContain("▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱▱ 0/100 msgs (0%)");
    const ledger = usageLedger(openStateDatabase(sandbox.env));
    const record = (messages: number) =>
      ledger.record({
        runId: "r-seed",
        at: Date.now() - 60_000,
        role: "planner",
        provider: "sub",
        providerType: "claude_code_cli",
        model: "claude-sonnet-4-6",
        inputTokens: 1000,
        outputTokens: 100,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0,
        subscriptionMessages: messages,
        latencyMs: 5,
        outcome: "ok",
        purpose: "plan",
      });
    record(60);
    const sixty = await entry(pty, "/usage");
    expect(sixty).toContain("▰▰▰▰▰▰▰▰▰▰▰▰▱▱▱▱▱▱▱▱ 60/100 msgs (60%)");
    expect(sixty).toMatch(/frees \d\d:\d\d/);
    record(35);
    expect(await entry(pty, "/usage")).toContain("▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▰▱ 95/100 msgs (95%)");

    // /history lists what was typed; the history file persists it.
    expect(await entry(pty, "/history")).toMatch(/\d+ +\/task save fixit make add handle strings/);

    // Ctrl-C once at an empty prompt warns, twice leaves.
    since = pty.mark();
    pty.type(ctrl.c);
    await pty.waitFor("Ctrl-C again to leave", { since });
    pty.type(ctrl.c);
    expect(await pty.exited).toBe(0);
    expect(readFileSync(join(sandbox.env.HIEROCODE_STATE_DIR as string, "repl_history"), "utf8")).toContain(
      "/task save fixit make add handle strings",
    );
  });

  it("/run shows each unit's phase live, Ctrl-C cancels, /resume finishes, then /diff, /apply, /undo", async () => {
    const chain = [
      unit("u1", ["src/app/math.ts"]),
      unit("u2", ["src/app/strings.ts"], { depends_on: ["u1"] }),
      unit("u3", ["lib/deep/nested/util.py"], { depends_on: ["u2"] }),
    ];
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "three steps", units: chain } },
    );
    ollama.script
      .on(
        { user: "Unit u1:" },
        { text: searchReplace("src/app/math.ts", "  return a + b;", "  return b + a;") },
        { delayMs: 900 },
      )
      .on(
        { user: "Unit u2:" },
        { text: searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text;") },
        { delayMs: 900 },
      )
      .on({ user: "Unit u3:" }, "hang", { times: 1 })
      .on(
        { user: "Unit u3:" },
        { text: searchReplace("lib/deep/nested/util.py", "    return x * 2", "    return 2 * x") },
      );
    const sandbox = sandboxWith();
    const pty = open(sandbox);
    await pty.waitFor(prompt);
    // Tab completes model names (asked of the providers) and file paths.
    let since = pty.mark();
    pty.type("/models set drafter qwen2.5-coder:\t");
    await pty.waitFor(/hierocode> \/models set drafter qwen2\.5-coder:7b$/, { since });
    pty.type(ctrl.c);
    await pty.waitFor(prompt, { since });
    since = pty.mark();
    pty.type("/draft tidy src/app/ma\t");
    await pty.waitFor(/hierocode> \/draft tidy src\/app\/math\.ts/, { since });
    pty.type(ctrl.c);
    await pty.waitFor(prompt, { since });
    const start = pty.mark();
    pty.type("/run tidy three files\r");
    // The panel is redrawn in place: watch the screen change.
    await pty.waitFor(/u1 +drafting[\s\S]*u2 +queued[\s\S]*u3 +queued/, { since: start });
    await pty.waitFor(/✓ u1 +accepted[\s\S]*u2 +(drafting|checking|reviewing)/, { since: start });
    await pty.waitFor(/✓ u2 +accepted[\s\S]*u3 +drafting/, { since: start });
    expect(pty.screen()).toMatch(/tokens in→out: planner claude-sonnet-4-6 .* drafter qwen2\.5-coder:7b/);
    const panels = pty.screen().match(/running · \d\/3 units/g) ?? [];
    expect(panels).toHaveLength(1); // one panel, redrawn in place
    // u3's drafter hangs: Ctrl-C cancels the run only.
    pty.type(ctrl.c);
    const cancelled = await pty.waitFor(/resume with \/resume (\S+)\nhierocode>$/, { since: start });
    expect(cancelled).not.toContain("running ·"); // the panel is gone, not left half-erased
    const runId = /resume with \/resume (\S+)/.exec(cancelled)?.[1] as string;
    expect(readFileSync(join(sandbox.repo, "src/app/math.ts"), "utf8")).toBe(files["src/app/math.ts"]);

    const resumed = await entry(pty, "/resume", 30_000);
    expect(resumed).toContain("accepted u3");
    expect(resumed).toContain("units: 3 accepted, 0 failed");
    expect(resumed).toContain("3 file(s) ready: /diff to read, /apply to write");
    expect(resumed).not.toContain("--resume");
    expect(
      anthropic.requests.filter((request) => JSON.stringify(request).includes("You are the planner")),
    ).toHaveLength(1);
    expect(runId).toMatch(/\S/);

    // /plan show runs `hierocode plan` in-process: the cached plan, no second planner call.
    expect(await entry(pty, "/plan show")).toContain("Plan: three steps (cached)");
    expect(
      anthropic.requests.filter((request) => JSON.stringify(request).includes("You are the planner")),
    ).toHaveLength(1);

    const diff = await entry(pty, "/diff");
    expect(diff).toContain("+  return b + a;");
    expect(diff).toContain("+    return 2 * x");

    // /apply → r → y, then q: nothing written.
    const read = (file: string) => readFileSync(join(sandbox.repo, file), "utf8");
    since = pty.mark();
    pty.type("/apply\r");
    await answer(pty, /\[y\/r\/n\/a\]$/, "r", since);
    await answer(pty, /Write lib\/deep\/nested\/util\.py\? .*\[y\/a\/n\/q\]$/, "y", since);
    await answer(pty, /Write src\/app\/math\.ts\? .*\[y\/a\/n\/q\]$/, "q", since);
    await pty.waitFor(/aborted: nothing written\nhierocode>$/, { since });
    expect(read("lib/deep/nested/util.py")).toBe(files["lib/deep/nested/util.py"]);

    // /apply → r → y, n, y: two files written.
    since = pty.mark();
    pty.type("/apply\r");
    await answer(pty, /\[y\/r\/n\/a\]$/, "r", since);
    await answer(pty, /Write lib\/deep\/nested\/util\.py\? .*\[y\/a\/n\/q\]$/, "y", since);
    await answer(pty, /Write src\/app\/math\.ts\? .*\[y\/a\/n\/q\]$/, "n", since);
    await answer(pty, /Write src\/app\/strings\.ts\? .*\[y\/a\/n\/q\]$/, "y", since);
    const partial = await pty.waitFor(/wrote [\s\S]*\nhierocode>$/, { since });
    expect(partial).toContain("not written: src/app/math.ts");
    expect(read("lib/deep/nested/util.py")).toContain("return 2 * x");
    expect(read("src/app/math.ts")).toBe(files["src/app/math.ts"]);
    expect(read("src/app/strings.ts")).toContain("  return text;\n");

    // /undo restores both; /apply → y writes all three (math.ts still pending).
    expect(await entry(pty, "/undo")).toContain("restored lib/deep/nested/util.py, src/app/strings.ts");
    expect(read("src/app/strings.ts")).toBe(files["src/app/strings.ts"]);
    since = pty.mark();
    pty.type("/apply\r");
    await answer(pty, /\[y\/r\/n\/a\]$/, "y", since);
    await pty.waitFor(/wrote [\s\S]*\nhierocode>$/, { since });
    expect(read("src/app/math.ts")).toContain("return b + a;");
    expect(read("src/app/strings.ts")).toContain("  return text;\n");
    expect(read("lib/deep/nested/util.py")).toContain("return 2 * x");
    // A file changed since /apply is not undone, nor are the others (all or nothing).
    writeFileSync(join(sandbox.repo, "src/app/strings.ts"), "changed by hand\n");
    expect(await entry(pty, "/undo")).toContain(
      "error: not undone: changed since /apply wrote them: src/app/strings.ts",
    );
    expect(read("src/app/math.ts")).toContain("return b + a;");
    // /diff says what the disk holds, not what the session remembers: util.py reverted by hand
    // is "not applied" (and /apply offers it again), strings.ts edited by hand is neither.
    writeFileSync(join(sandbox.repo, "lib/deep/nested/util.py"), files["lib/deep/nested/util.py"] ?? "");
    const compared = await entry(pty, "/diff");
    expect(compared).toContain("(applied on disk: src/app/math.ts)");
    expect(compared).toContain("(not applied: lib/deep/nested/util.py — /apply writes them)");
    expect(compared).toContain(
      "(changed on disk since the run, neither before nor after it: src/app/strings.ts)",
    );
    expect(compared).not.toContain("already applied");
    since = pty.mark();
    pty.type("/apply\r");
    await answer(
      pty,
      /1 accepted file\(s\) from run [\s\S]*lib\/deep\/nested\/util\.py[\s\S]*\[y\/r\/n\/a\]$/,
      "y",
      since,
    );
    await pty.waitFor(/wrote lib\/deep\/nested\/util\.py\nhierocode>$/, { since });
    expect(read("lib/deep/nested/util.py")).toContain("return 2 * x");
    expect(read("src/app/strings.ts")).toBe("changed by hand\n");
    pty.type(ctrl.d);
    expect(await pty.exited).toBe(0);
  });

  it("asks before escalating on a clean line, with the panel paused, then finishes the run", async () => {
    anthropic.script.on(
      { system: "You are the planner" },
      { json: { summary: "one step", units: [unit("u1", ["src/app/strings.ts"])] } },
    );
    ollama.script.on(
      { user: "Unit u1:" },
      { text: searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text;") },
    );
    openai.script
      .on(
        { user: "Unit u1" },
        {
          json: {
            action: "escalate",
            feedback: "needs the planner",
            issues: [],
            confidence: 0.9,
            sub_units: [],
          },
        },
        { times: 1 },
      )
      .setDefault(accept);
    anthropic.script.on(
      { user: "needs the planner" },
      { text: searchReplace("src/app/strings.ts", "  return text.toUpperCase();", "  return text.trim();") },
    );
    // Straight to the consent prompt (the planner's redirect first: test/e2e/compact-checkpoints).
    const sandbox = sandboxWith({
      policy: { warn_before_escalation: true, redirect_before_escalation: false },
    });
    const pty = open(sandbox);
    await pty.waitFor(prompt);
    const since = pty.mark();
    pty.type("/run make shout quiet\r");
    await pty.waitFor(/Let the planner write it\?/, { since });
    expect(pty.screen()).not.toMatch(/running · \d\/1 units/); // the panel stepped aside
    pty.type(ctrl.enter);
    const done = await pty.waitFor(/1 file\(s\) ready[^\n]*\nhierocode>$/, { since });
    expect(done).toContain("accepted u1: goal of u1 (escalated: written by the planner)");
    expect(await entry(pty, "/diff")).toContain("+  return text.trim();");
    pty.type(ctrl.d);
    expect(await pty.exited).toBe(0);
  });

  it("without a config says to run the wizard (exit 3); without a terminal prints the help (exit 0)", async () => {
    const sandbox = sandboxWith();
    const env = { ...sandbox.env, HOME: join(sandbox.home, "empty") };
    const pty = startPtySession([process.execPath, cliPath], { cwd: sandbox.repo, env });
    session = pty;
    await pty.waitFor("hint: run `hierocode init --wizard`");
    expect(await pty.exited).toBe(3);
    const piped = spawn(process.execPath, [cliPath], {
      cwd: sandbox.repo,
      env: sandbox.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    for (const stream of [piped.stdout, piped.stderr])
      stream.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
    const code = await new Promise<number | null>((resolve) => piped.on("close", resolve));
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: hierocode [options] [command]");
  });
});
