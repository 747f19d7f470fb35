"use strict";
/**
 * Fake `codex` (codex-cli 0.169.0). Prints what the real program prints per
 * shared/reference/protocols.md §1d–1f. Outputs marked MODELLED are not in that document.
 *
 * Env: FAKE_CODEX_MODE = ok | not_logged_in | hang | hang_hard | flaky | turn_failed | crash | signal | slow
 *      FAKE_CODEX_SCRIPT = rules file, FAKE_CODEX_LOG = invocation log (JSONL),
 *      FAKE_CODEX_DELAY_MS = delay of "slow" (default 2000), FAKE_CODEX_NO_DOCTOR=1 = an older
 *      codex without `doctor`, FAKE_CODEX_NETWORK_ERROR_INTERVAL_MS = pace of reconnect lines.
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { randomUUID } = require("node:crypto");
const common = require("./fake-common.cjs");

const version = "0.169.0";
const defaultModel = "gpt-6.1-sol";
const bundledModels = [
  "gpt-5.5",
  "gpt-5.6-sol",
  "gpt-5.6-terra",
  "gpt-5.6-luna",
  "gpt-6-sol",
  "gpt-6-luna",
  "gpt-6-astra",
  "gpt-6.1-sol",
  "gpt-6.1-terra",
];
// No output-cap key: 0.171.0 rejects model_max_output_tokens / max_output_tokens (observed).
const knownConfigKeys = [
  "developer_instructions",
  "model",
  "model_reasoning_effort",
  "approval_policy",
  "sandbox_mode",
  "openai_base_url",
  "model_provider",
  "model_instructions_file",
];
const lookupError =
  "stream disconnected before completion: failed to lookup address information: Name does not resolve";
const mode = process.env.FAKE_CODEX_MODE ?? "ok";

/** Printed on every command when HOME is under a temporary folder (observed, harmless). */
async function tempHomeWarning() {
  const home = process.env.HOME ?? "";
  const temp = os.tmpdir();
  if (home && (home === temp || home.startsWith(`${temp}/`))) {
    await common.writeErr(
      `WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "${temp}" (codex_home: ${path.join(home, ".codex")})\n`,
    );
  }
}

async function fail(stderrText, code = 1) {
  await common.writeErr(`${stderrText}\n`);
  await common.finish(code);
}

function loggedIn() {
  return mode !== "not_logged_in";
}

async function loginStatus() {
  // `login status` ignores CODEX_API_KEY / OPENAI_API_KEY in the environment (observed).
  if (!loggedIn()) return fail("Not logged in");
  await common.writeErr("Logged in using ChatGPT\n"); // MODELLED wording for a ChatGPT login
  return common.finish(0);
}

async function doctor(argv) {
  if (process.env.FAKE_CODEX_NO_DOCTOR === "1") {
    return fail(
      "error: unrecognized subcommand 'doctor'\n\nUsage: codex [OPTIONS] [PROMPT]\n       codex [OPTIONS] <COMMAND> [ARGS]\n\nFor more information, try '--help'.",
      2,
    );
  }
  let check;
  if (process.env.CODEX_API_KEY) {
    check = {
      id: "auth.credentials",
      status: "ok",
      summary: "auth is provided by environment",
      details: { "auth env vars present": "CODEX_API_KEY" },
    };
  } else if (loggedIn()) {
    check = { id: "auth.credentials", status: "ok", summary: "ChatGPT credentials found in auth.json" }; // MODELLED
  } else {
    check = {
      id: "auth.credentials",
      status: "fail",
      summary: "no Codex credentials were found",
      remediation: "Run codex login or provide an API key through a supported auth env var.",
    };
  }
  const ok = check.status === "ok";
  const report = {
    schemaVersion: 1,
    overallStatus: ok ? "ok" : "fail",
    codexVersion: version,
    checks: { "auth.credentials": check },
  };
  if (argv.includes("--json")) await common.writeOut(`${JSON.stringify(report)}\n`);
  else await common.writeOut(`auth.credentials: ${check.status} - ${check.summary}\n`); // MODELLED text form
  return common.finish(ok ? 0 : 1);
}

/** Decodes a `-c key=value` override the way codex does: TOML when it parses, else a literal string. */
function decodeConfigValue(raw) {
  const text = raw.trim();
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) {
    let result = "";
    for (let index = 1; index < text.length - 1; index++) {
      const character = text[index];
      if (character !== "\\") {
        result += character;
        continue;
      }
      const next = text[++index];
      const simple = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", '"': '"', "\\": "\\" };
      if (next in simple) result += simple[next];
      else if (next === "u" || next === "U") {
        const length = next === "u" ? 4 : 8;
        result += String.fromCodePoint(Number.parseInt(text.slice(index + 1, index + 1 + length), 16));
        index += length;
      } else return raw;
    }
    return result;
  }
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) return text.slice(1, -1);
  return raw;
}

const execValueOptions = [
  "-m",
  "--model",
  "-C",
  "--cd",
  "-s",
  "--sandbox",
  "-c",
  "--config",
  "--output-schema",
  "-o",
  "--output-last-message",
  "--add-dir",
  "--local-provider",
  "-p",
  "--profile",
  "--color",
];
const execFlagOptions = [
  "--json",
  "--experimental-json",
  "--skip-git-repo-check",
  "--ephemeral",
  "--ignore-user-config",
  "--strict-config",
  "--oss",
  "--full-auto",
  "--dangerously-bypass-approvals-and-sandbox",
];

function parseExec(argv) {
  const options = { config: [] };
  const positionals = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "-" || !argument.startsWith("-")) {
      positionals.push(argument);
      continue;
    }
    if (execFlagOptions.includes(argument)) {
      options[argument] = true;
      continue;
    }
    if (!execValueOptions.includes(argument)) {
      return {
        error: `error: unexpected argument '${argument}' found\n\nUsage: codex exec [OPTIONS] [PROMPT] [COMMAND]\n\nFor more information, try '--help'.`,
      };
    }
    const value = argv[++index];
    if (value === undefined)
      return {
        error: `error: a value is required for '${argument} <VALUE>' but none was supplied\n\nFor more information, try '--help'.`,
      };
    if (argument === "-c" || argument === "--config") options.config.push(value);
    else options[argument] = value;
  }
  return { options, positionals };
}

function event(object) {
  return common.writeOut(`${JSON.stringify(object)}\n`);
}

async function reconnectLines(count) {
  for (let attempt = 2; attempt <= Math.min(count + 1, 5); attempt++) {
    await event({ type: "error", message: `Reconnecting... ${attempt}/5 (${lookupError})` });
  }
}

async function networkHang(json, ignoreTerm) {
  if (ignoreTerm) process.on("SIGTERM", () => {});
  if (json) {
    await reconnectLines(4);
    await event({
      type: "item.completed",
      item: {
        id: "item_0",
        type: "error",
        message: `Falling back from WebSockets to HTTPS transport. ${lookupError}`,
      },
    });
  } else {
    await common.writeErr("ERROR: Reconnecting... 2/5\n");
  }
  const interval = Number(process.env.FAKE_CODEX_NETWORK_ERROR_INTERVAL_MS ?? 500);
  setInterval(() => {
    if (json)
      void event({
        type: "error",
        message: "Reconnecting... waiting for network (Connection failed: error sending request)",
      });
    else void common.writeErr("ERROR: Reconnecting... waiting for network\n");
  }, interval);
}

async function exec(argv) {
  const parsed = parseExec(argv);
  if (parsed.error) return fail(parsed.error, 2);
  const { options, positionals } = parsed;
  const workdir = path.resolve(options["-C"] ?? options["--cd"] ?? process.cwd());
  const config = {};
  for (const entry of options.config) {
    const separator = entry.indexOf("=");
    if (separator < 0) return fail(`Error: Invalid override (missing '='): ${entry}`);
    config[entry.slice(0, separator).trim()] = decodeConfigValue(entry.slice(separator + 1));
  }
  if (options["--strict-config"]) {
    const unknown = Object.keys(config).find((key) => !knownConfigKeys.includes(key));
    if (unknown)
      return fail(
        `Error loading config.toml: unknown configuration field \`${unknown}\` in -c/--config override`,
      );
  }
  if (!fs.existsSync(workdir)) return fail(`Error: No such file or directory (os error 2): ${workdir}`);
  if (!options["--skip-git-repo-check"] && !common.insideGitRepo(workdir)) {
    return fail("Not inside a trusted directory and --skip-git-repo-check was not specified.");
  }
  let schema;
  const schemaPath = options["--output-schema"];
  if (schemaPath !== undefined) {
    try {
      schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
    } catch (error) {
      return fail(`Error: failed to read output schema file ${schemaPath}: ${error.message}`); // MODELLED
    }
  }
  const readsStdin = positionals.length === 0 || positionals[0] === "-";
  if (readsStdin) await common.writeErr("Reading prompt from stdin...\n");
  const stdin = process.stdin.isTTY ? "" : common.readStdin();
  const prompt = readsStdin
    ? stdin
    : `${positionals.join(" ")}${stdin ? `\n\n<stdin>\n${stdin}\n</stdin>` : ""}`;
  const model = options["-m"] ?? options["--model"] ?? config.model ?? defaultModel;
  const json = Boolean(options["--json"] || options["--experimental-json"]);
  const system = config.developer_instructions ?? "";
  const base = {
    argv: process.argv.slice(2),
    stdin,
    prompt,
    system,
    config,
    workdir,
    model,
    sandbox: options["-s"] ?? options["--sandbox"] ?? "read-only",
    schemaPath,
    outputSchema: schema,
    json,
  };

  if (readsStdin && prompt.trim() === "") {
    common.appendLog("FAKE_CODEX_LOG", { ...base, outcome: "no_input" });
    return fail("No prompt provided via stdin.");
  }
  const { rule = {}, index } = common.pickRule(common.loadScript("FAKE_CODEX_SCRIPT"), {
    prompt,
    system,
    hasSchema: schema !== undefined,
    model,
  });
  const fault = rule.fault ?? (mode === "ok" ? undefined : mode);
  if (!bundledModels.includes(model)) {
    await common.writeErr(
      `warning: Model metadata for \`${model}\` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.\n`,
    );
  }
  if (!json) {
    await common.writeErr(
      `OpenAI Codex v${version}\n--------\nworkdir: ${workdir}\nmodel: ${model}\nprovider: openai\napproval: never\nsandbox: ${base.sandbox}\nreasoning effort: none\nreasoning summaries: none\nsession id: ${randomUUID()}\n--------\nuser\n${prompt}\n`,
    );
  }
  if (json) {
    await event({ type: "thread.started", thread_id: randomUUID() });
    await event({ type: "turn.started" });
  }
  // Without credentials the real program does not fail: it retries the network forever.
  if (fault === "hang" || fault === "hang_hard" || fault === "not_logged_in") {
    const childPid = common.spawnHangingChild(fault === "hang_hard");
    common.appendLog("FAKE_CODEX_LOG", { ...base, rule: index, outcome: fault, childPid });
    return networkHang(json, fault === "hang_hard");
  }
  common.appendLog("FAKE_CODEX_LOG", { ...base, rule: index, outcome: fault ?? "ok" });
  if (fault === "crash") {
    await common.writeErr(
      "thread 'main' panicked at codex-rs/exec/src/lib.rs:412:9:\nfake panic: event channel closed\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
    );
    return common.finish(101);
  }
  if (fault === "signal") return process.kill(process.pid, "SIGKILL");
  const delay = rule.delayMs ?? (fault === "slow" ? Number(process.env.FAKE_CODEX_DELAY_MS ?? 2000) : 0);
  if (delay > 0) await common.sleep(delay);
  let itemNumber = 0;
  const reconnects = rule.reconnects ?? (fault === "flaky" ? 4 : 0);
  if (json && reconnects > 0) {
    await reconnectLines(reconnects);
    await event({
      type: "item.completed",
      item: {
        id: `item_${itemNumber++}`,
        type: "error",
        message: `Falling back from WebSockets to HTTPS transport. ${lookupError}`,
      },
    });
  }
  if (fault === "turn_failed") {
    const message =
      rule.message ?? "unexpected status 401 Unauthorized: Missing bearer or basic authentication in header"; // MODELLED
    if (json) await event({ type: "turn.failed", error: { message } });
    else await common.writeErr(`ERROR: ${message}\n`);
    return common.finish(1);
  }
  const structured = schema === undefined ? undefined : (rule.json ?? common.exampleFromSchema(schema));
  const text =
    rule.reply ??
    (structured !== undefined ? JSON.stringify(structured) : `fake codex reply to: ${prompt.slice(0, 60)}`);
  const usageRule = rule.usage ?? {};
  const cached = usageRule.cached_input_tokens ?? 0;
  const usage = {
    input_tokens: usageRule.input_tokens ?? common.estimateTokens(prompt + system) + cached,
    cached_input_tokens: cached,
    output_tokens: usageRule.output_tokens ?? common.estimateTokens(text),
    reasoning_output_tokens: usageRule.reasoning_output_tokens ?? 0,
  };
  if (usageRule.cache_write_input_tokens !== undefined)
    usage.cache_write_input_tokens = usageRule.cache_write_input_tokens;
  if (json) {
    await event({
      type: "item.completed",
      item: { id: `item_${itemNumber++}`, type: "reasoning", text: "**Answering the request**" },
    });
    await event({
      type: "item.completed",
      item: { id: `item_${itemNumber++}`, type: "agent_message", text },
    });
    await event({ type: "turn.completed", usage });
  } else {
    await common.writeErr(`codex\n${text}\ntokens used\n${usage.input_tokens + usage.output_tokens}\n`);
    await common.writeOut(`${text}\n`);
  }
  const lastMessageFile = options["-o"] ?? options["--output-last-message"];
  if (lastMessageFile) fs.writeFileSync(lastMessageFile, text);
  return common.finish(0);
}

async function main() {
  const argv = process.argv.slice(2);
  await tempHomeWarning();
  if (argv[0] === "--version" || argv[0] === "-V") {
    common.appendLog("FAKE_CODEX_LOG", { argv });
    await common.writeOut(`codex-cli ${version}\n`);
    return common.finish(0);
  }
  if (argv[0] === "login") {
    common.appendLog("FAKE_CODEX_LOG", { argv });
    if (argv[1] === "status") return loginStatus();
    return fail("fake codex: interactive login is not implemented");
  }
  if (argv[0] === "doctor") {
    common.appendLog("FAKE_CODEX_LOG", { argv });
    return doctor(argv.slice(1));
  }
  if (argv[0] === "exec" || argv[0] === "e") return exec(argv.slice(1));
  common.appendLog("FAKE_CODEX_LOG", { argv, outcome: "interactive" });
  return fail("fake codex: the interactive mode is not implemented");
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
