"use strict";
/**
 * Fake `claude` (Claude Code 2.1.197). Prints what the real program prints per
 * shared/reference/protocols.md §1a–1c. Outputs marked MODELLED are not in that document and
 * follow the SDK types / the real program's known wording as closely as we can.
 *
 * Output cap (as in the 2.1.332 binary): CLAUDE_CODE_MAX_OUTPUT_TOKENS, a positive integer (else
 * the default 32000), lowered to the model's 64000 limit; a reply longer than the cap is cut there
 * with stop_reason "max_tokens" and no structured_output. MAX_THINKING_TOKENS=0 turns thinking
 * off; with it on, a cap of 1,024 or less on a model with a fixed thinking budget (sonnet-4-5,
 * haiku-4-5) fails like the API (400: max_tokens must be greater than thinking.budget_tokens).
 *
 * Env: FAKE_CLAUDE_MODE = ok | not_logged_in | hang | hang_hard | crash | signal | slow
 *      FAKE_CLAUDE_SCRIPT = rules file, FAKE_CLAUDE_LOG = invocation log (JSONL),
 *      FAKE_CLAUDE_DELAY_MS = delay of "slow" (default 2000).
 */
const fs = require("node:fs");
const { randomUUID } = require("node:crypto");
const common = require("./fake-common.cjs");

const version = "2.1.197";
const aliases = {
  opus: "claude-opus-4-8",
  sonnet: "claude-sonnet-5",
  haiku: "claude-haiku-4-5",
  fable: "claude-fable-5",
};
const defaultModel = "claude-opus-4-8";
// Claude Code's built-in list prices (USD per MTok): input, output, 5m cache write, cache read.
const prices = {
  opus: [5, 25, 6.25, 0.5],
  "opus-4-1": [15, 75, 18.75, 1.5],
  sonnet: [3, 15, 3.75, 0.3],
  haiku: [1, 5, 1.25, 0.1],
  fable: [10, 50, 12.5, 1],
};
const permissionModes = ["acceptEdits", "auto", "bypassPermissions", "default", "dontAsk", "plan"];
const allTools = [
  "Task",
  "Bash",
  "Glob",
  "Grep",
  "LS",
  "Read",
  "Edit",
  "Write",
  "NotebookEdit",
  "WebFetch",
  "TodoWrite",
  "WebSearch",
];

// Option name → takes a value. Mirrors commander's definitions in the real binary.
const optionSpec = {
  "-p": false,
  "--print": false,
  "--verbose": false,
  "--no-session-persistence": false,
  "--include-partial-messages": false,
  "--bare": false,
  "--strict-mcp-config": false,
  "--dangerously-skip-permissions": false,
  "-d": false,
  "--debug": false,
  "--model": true,
  "--fallback-model": true,
  "--output-format": true,
  "--input-format": true,
  "--json-schema": true,
  "--append-system-prompt": true,
  "--system-prompt": true,
  "--append-system-prompt-file": true,
  "--system-prompt-file": true,
  "--tools": true,
  "--allowedTools": true,
  "--allowed-tools": true,
  "--disallowedTools": true,
  "--disallowed-tools": true,
  "--permission-mode": true,
  "--max-turns": true,
  "--max-budget-usd": true,
  "--add-dir": true,
  "--session-id": true,
  "--effort": true,
  "--setting-sources": true,
  "--mcp-config": true,
  "--settings": true,
};

async function fail(stderrText, code = 1) {
  await common.writeErr(`${stderrText}\n`);
  await common.finish(code);
}

function parseOptions(argv) {
  const options = {};
  const positionals = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--") {
      positionals.push(...argv.slice(index + 1));
      break;
    }
    if (!argument.startsWith("-") || argument === "-") {
      positionals.push(argument);
      continue;
    }
    const [name, inlineValue] = argument.includes("=")
      ? [argument.slice(0, argument.indexOf("=")), argument.slice(argument.indexOf("=") + 1)]
      : [argument, undefined];
    if (!(name in optionSpec)) return { error: `error: unknown option '${name}'` };
    if (!optionSpec[name]) {
      options[name] = true;
      continue;
    }
    const value = inlineValue ?? argv[++index];
    if (value === undefined) return { error: `error: option '${name} <value>' argument missing` };
    options[name] = value;
  }
  return { options, positionals };
}

function resolveModel(requested) {
  if (!requested) return { id: defaultModel, known: true };
  if (aliases[requested]) return { id: aliases[requested], known: true };
  const id = requested.replace(/\[1m\]$/, "");
  return { id, known: /^claude-(opus|sonnet|haiku|fable)-/.test(id) };
}

/** CLAUDE_CODE_MAX_OUTPUT_TOKENS as the real binary reads it (invalid → default, above → limit). */
function outputCap() {
  const raw = process.env.CLAUDE_CODE_MAX_OUTPUT_TOKENS;
  const value = raw ? Number.parseInt(raw, 10) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) return 32000;
  return Math.min(value, 64000);
}

function thinkingOn() {
  const raw = process.env.MAX_THINKING_TOKENS;
  return !(raw !== undefined && Number.parseInt(raw, 10) <= 0);
}

function priceOf(model) {
  if (/opus-4-1|opus-4-2025/.test(model)) return prices["opus-4-1"];
  for (const family of ["opus", "sonnet", "haiku", "fable"])
    if (model.includes(family)) return prices[family];
  return prices.sonnet;
}

function zeroUsage() {
  return {
    input_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 0,
    server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
    service_tier: "standard",
    cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
    inference_geo: "",
    iterations: [],
    speed: "standard",
  };
}

/** The `result` line, fields in the real program's order. */
function resultLine(fields) {
  const line = {
    type: "result",
    subtype: fields.subtype ?? "success",
    is_error: fields.isError ?? false,
    api_error_status: fields.apiErrorStatus ?? null,
    duration_ms: fields.durationMs ?? 161,
    duration_api_ms: fields.durationApiMs ?? 0,
    num_turns: fields.numTurns ?? 1,
  };
  if (fields.result !== undefined) line.result = fields.result;
  Object.assign(line, {
    stop_reason: fields.stopReason === undefined ? "stop_sequence" : fields.stopReason,
    session_id: fields.sessionId,
    total_cost_usd: fields.costUsd ?? 0,
    usage: fields.usage ?? zeroUsage(),
    modelUsage: fields.modelUsage ?? {},
    permission_denials: [],
  });
  if (fields.errors) line.errors = fields.errors;
  if (fields.structuredOutput !== undefined) line.structured_output = fields.structuredOutput;
  Object.assign(line, {
    terminal_reason: fields.terminalReason ?? "completed",
    fast_mode_state: "off",
    uuid: randomUUID(),
  });
  return line;
}

function initLine(sessionId, model, tools, permissionMode) {
  return {
    type: "system",
    subtype: "init",
    cwd: process.cwd(),
    session_id: sessionId,
    tools,
    mcp_servers: [],
    model,
    permissionMode,
    slash_commands: ["compact", "context", "cost", "init", "review"],
    apiKeySource: process.env.ANTHROPIC_API_KEY ? "ANTHROPIC_API_KEY" : "none",
    claude_code_version: version,
    output_style: "default",
    agents: ["general-purpose"],
    skills: [],
    plugins: [],
    uuid: randomUUID(),
    memory_paths: {},
    fast_mode_state: "off",
  };
}

function assistantLine(sessionId, model, text, usage, error) {
  const line = {
    type: "assistant",
    message: {
      id: `msg_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
      model,
      role: "assistant",
      stop_reason: error ? "stop_sequence" : "end_turn",
      stop_sequence: error ? "" : null,
      type: "message",
      usage,
      content: [{ type: "text", text }],
      context_management: null,
    },
    parent_tool_use_id: null,
    session_id: sessionId,
    uuid: randomUUID(),
  };
  if (error) line.error = error;
  return line;
}

async function authStatus(options) {
  let status;
  if (process.env.ANTHROPIC_API_KEY) {
    status = {
      loggedIn: true,
      authMethod: "api_key",
      apiProvider: "firstParty",
      apiKeySource: "ANTHROPIC_API_KEY",
    };
  } else if (process.env.ANTHROPIC_AUTH_TOKEN || process.env.CLAUDE_CODE_OAUTH_TOKEN) {
    status = { loggedIn: true, authMethod: "oauth_token", apiProvider: "firstParty" };
  } else if ((process.env.FAKE_CLAUDE_MODE ?? "ok") === "not_logged_in") {
    status = { loggedIn: false, authMethod: "none", apiProvider: "firstParty" };
  } else {
    // MODELLED: a claude.ai subscription login (the reference ran without credentials).
    status = { loggedIn: true, authMethod: "claude.ai", apiProvider: "firstParty", subscriptionType: "pro" };
  }
  if (options.includes("--text")) {
    await common.writeOut(
      status.loggedIn
        ? `Logged in (${status.authMethod}).\n`
        : "Not logged in. Run claude auth login to authenticate.\n",
    );
  } else {
    await common.writeOut(`${JSON.stringify(status, null, 2)}\n`);
  }
  await common.finish(status.loggedIn ? 0 : 1);
}

function faultResult(fault, sessionId, rule) {
  const apiError = (status, text) => ({
    isError: true,
    apiErrorStatus: status,
    result: text,
    stopReason: "stop_sequence",
    terminalReason: "api_error",
    sessionId,
  });
  switch (fault) {
    case "not_logged_in":
      return { isError: true, result: "Not logged in · Please run /login", sessionId };
    case "rate_limit": // MODELLED
      return apiError(
        429,
        rule.message ??
          'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"}}',
      );
    case "overloaded": // MODELLED
      return apiError(
        529,
        rule.message ??
          'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      );
    case "api_error_500": // MODELLED
      return apiError(
        500,
        rule.message ??
          'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
      );
    case "prompt_too_long": // MODELLED
      return { isError: true, result: "Prompt is too long", terminalReason: "prompt_too_long", sessionId };
    case "error_max_turns":
    case "error_during_execution":
    case "error_max_budget_usd":
    case "error_max_structured_output_retries":
      return {
        subtype: fault,
        isError: true,
        stopReason: null,
        sessionId,
        numTurns: rule.numTurns ?? 8,
        terminalReason:
          fault === "error_max_turns"
            ? "max_turns"
            : fault === "error_max_budget_usd"
              ? "budget_exhausted"
              : "model_error",
        errors: [rule.message ?? `fake ${fault}`],
      };
    default:
      return undefined;
  }
}

async function emit(format, sessionId, model, tools, permissionMode, fields, assistantText, assistantError) {
  const line = resultLine({ ...fields, sessionId });
  if (format === "json") await common.writeOut(`${JSON.stringify(line)}\n`);
  else if (format === "stream-json") {
    await common.writeOut(`${JSON.stringify(initLine(sessionId, model, tools, permissionMode))}\n`);
    if (assistantText !== undefined) {
      await common.writeOut(
        `${JSON.stringify(assistantLine(sessionId, assistantError ? "<synthetic>" : model, assistantText, fields.usage ?? zeroUsage(), assistantError))}\n`,
      );
    }
    await common.writeOut(`${JSON.stringify(line)}\n`);
  } else {
    await common.writeOut(`${line.result ?? ""}\n`);
  }
  await common.finish(line.is_error ? 1 : 0);
}

async function print(options, positionals) {
  const format = options["--output-format"] ?? "text";
  if (!["text", "json", "stream-json"].includes(format)) {
    return fail(
      `error: option '--output-format <format>' argument '${format}' is invalid. Allowed choices are text, json, stream-json.`,
    );
  }
  if (format === "stream-json" && !options["--verbose"]) {
    return fail("Error: When using --print, --output-format=stream-json requires --verbose");
  }
  const permissionMode = options["--permission-mode"] ?? "default";
  if (!permissionModes.includes(permissionMode)) {
    return fail(
      `error: option '--permission-mode <mode>' argument '${permissionMode}' is invalid. Allowed choices are ${permissionModes.join(", ")}.`,
    );
  }
  let schema;
  if (options["--json-schema"] !== undefined) {
    try {
      schema = JSON.parse(options["--json-schema"]);
    } catch {
      return fail("Error: --json-schema must be valid JSON");
    }
    // MODELLED on claude 2.1.332: the schema is compiled by a validator that bundles only the
    // draft-07 meta-schema, so any other "$schema" URI is rejected before the login check.
    const metaSchema = schema !== null && typeof schema === "object" ? schema.$schema : undefined;
    if (metaSchema !== undefined && !/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/.test(String(metaSchema))) {
      return fail(`Error: --json-schema is not a valid JSON Schema: no schema with key or ref "${metaSchema}"`);
    }
  }
  const stdin = common.readStdin();
  const prompt = positionals.length > 0 ? positionals.join(" ") : stdin;
  let system = options["--append-system-prompt"] ?? "";
  if (options["--append-system-prompt-file"])
    system = fs.readFileSync(options["--append-system-prompt-file"], "utf8");
  const tools =
    options["--tools"] === ""
      ? []
      : options["--tools"]
        ? options["--tools"].split(",")
        : options["--allowedTools"]
          ? options["--allowedTools"].split(",")
          : allTools;
  const mode = process.env.FAKE_CLAUDE_MODE ?? "ok";
  const model = resolveModel(options["--model"]);
  const base = {
    argv: process.argv.slice(2),
    stdin,
    prompt,
    system,
    jsonSchema: schema,
    model: model.id,
    outputFormat: format,
    tools: options["--tools"],
    allowedTools: options["--allowedTools"],
    permissionMode,
    maxTurns: options["--max-turns"],
    maxOutputTokens: outputCap(),
    thinking: thinkingOn(),
  };

  if (prompt.trim() === "") {
    common.appendLog("FAKE_CLAUDE_LOG", { ...base, outcome: "no_input" });
    return fail(
      "Error: Input must be provided either through stdin or as a prompt argument when using --print",
    );
  }
  const { rule = {}, index } = common.pickRule(common.loadScript("FAKE_CLAUDE_SCRIPT"), {
    prompt,
    system,
    hasSchema: schema !== undefined,
    model: model.id,
  });
  let fault = rule.fault ?? (mode === "ok" ? undefined : mode);
  // The real program with an (unvalidated) env key and no network retries silently: a hang.
  if (fault === "not_logged_in" && (process.env.ANTHROPIC_API_KEY || process.env.CLAUDE_CODE_OAUTH_TOKEN))
    fault = "hang";
  const sessionId = randomUUID();

  if (fault === "hang" || fault === "hang_hard") {
    const childPid = common.spawnHangingChild(fault === "hang_hard");
    common.appendLog("FAKE_CLAUDE_LOG", { ...base, rule: index, outcome: fault, childPid });
    if (format === "stream-json") {
      await common.writeOut(`${JSON.stringify(initLine(sessionId, model.id, tools, permissionMode))}\n`);
      await common.writeOut(
        `${JSON.stringify({ type: "system", subtype: "api_retry", attempt: 1, max_retries: 10, retry_delay_ms: 608.1, error_status: null, error: "unknown", session_id: sessionId, uuid: randomUUID() })}\n`,
      );
    }
    return common.hangForever(fault === "hang_hard");
  }
  common.appendLog("FAKE_CLAUDE_LOG", { ...base, rule: index, outcome: fault ?? "ok" });
  if (fault === "crash") {
    await common.writeOut('{"type":"system","subtype":"init"');
    await common.writeErr(
      "file:///fake/claude/cli.js:4242\nTypeError: Cannot read properties of undefined (reading 'content')\n    at runTurn (file:///fake/claude/cli.js:4242:17)\n\nNode.js v24.0.0\n",
    );
    return common.finish(1);
  }
  if (fault === "signal") return process.kill(process.pid, "SIGKILL");
  const delay = rule.delayMs ?? (fault === "slow" ? Number(process.env.FAKE_CLAUDE_DELAY_MS ?? 2000) : 0);
  if (delay > 0) await common.sleep(delay);

  const special = fault ? faultResult(fault, sessionId, rule) : undefined;
  if (special) {
    const text = special.result ?? "";
    return emit(
      format,
      sessionId,
      model.id,
      tools,
      permissionMode,
      special,
      text,
      fault === "not_logged_in" ? "authentication_failed" : undefined,
    );
  }
  if (!model.known) {
    // MODELLED: the real wording for an unknown model (HTTP 404 from the API).
    const text = `There's an issue with the selected model (${options["--model"]}). It may not exist or you may not have access to it. Run /model to pick a different model.`;
    return emit(
      format,
      sessionId,
      model.id,
      tools,
      permissionMode,
      { isError: true, apiErrorStatus: 404, result: text, terminalReason: "api_error", sessionId },
      text,
      "model_not_found",
    );
  }

  const cap = outputCap();
  if (cap <= 1024 && thinkingOn() && /(sonnet|haiku)-4-5/.test(model.id)) {
    // MODELLED: Claude Code's fixed thinking budget (≥ 1,024) above max_tokens, rejected by the API.
    const text = `API Error: 400 {"type":"error","error":{"type":"invalid_request_error","message":"\`max_tokens\` must be greater than \`thinking.budget_tokens\`"}}`;
    return emit(
      format,
      sessionId,
      model.id,
      tools,
      permissionMode,
      { isError: true, apiErrorStatus: 400, result: text, terminalReason: "api_error", sessionId },
      text,
      "invalid_request",
    );
  }
  let structured = schema === undefined ? undefined : (rule.json ?? common.exampleFromSchema(schema));
  let text =
    rule.reply ??
    (structured !== undefined ? JSON.stringify(structured) : `fake claude reply to: ${prompt.slice(0, 60)}`);
  let cutAtCap = false;
  if (common.estimateTokens(text) > cap) {
    // Cut at the cap like the API (4 bytes a token here); a cut structured answer is no answer.
    text = Buffer.from(text, "utf8").subarray(0, cap * 4).toString("utf8");
    structured = undefined;
    cutAtCap = true;
  }
  const tokens = rule.usage ?? {};
  const inputTokens = tokens.inputTokens ?? common.estimateTokens(prompt + system);
  const outputTokens = tokens.outputTokens ?? (cutAtCap ? cap : common.estimateTokens(text));
  const cacheRead = tokens.cacheReadInputTokens ?? 0;
  const cacheWrite = tokens.cacheCreationInputTokens ?? 0;
  const usedModel = rule.modelId ?? model.id;
  const [inPrice, outPrice, writePrice, readPrice] = priceOf(usedModel);
  const cost =
    (inputTokens * inPrice + outputTokens * outPrice + cacheWrite * writePrice + cacheRead * readPrice) / 1e6;
  const modelUsage = rule.modelUsage ?? {
    [usedModel]: {
      inputTokens,
      outputTokens,
      cacheReadInputTokens: cacheRead,
      cacheCreationInputTokens: cacheWrite,
      webSearchRequests: 0,
      costUSD: cost,
      contextWindow: 200000,
      maxOutputTokens: 32000,
    },
  };
  const totalCost =
    rule.costUsd ?? Object.values(modelUsage).reduce((sum, entry) => sum + (entry.costUSD ?? 0), 0);
  const usage = {
    ...zeroUsage(),
    input_tokens: inputTokens,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: outputTokens,
  };
  const fields = {
    result: text,
    stopReason: rule.stopReason ?? (cutAtCap ? "max_tokens" : "end_turn"),
    terminalReason: rule.terminalReason ?? "completed",
    durationMs: 1200 + delay,
    durationApiMs: 1100 + delay,
    numTurns: rule.numTurns ?? 1,
    costUsd: totalCost,
    usage,
    modelUsage,
    structuredOutput: rule.structuredOutput === false ? undefined : structured,
  };
  return emit(format, sessionId, usedModel, tools, permissionMode, fields, text);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "auth") {
    common.appendLog("FAKE_CLAUDE_LOG", { argv });
    if (argv[1] === "status") return authStatus(argv.slice(2));
    return fail(`error: unknown command '${argv[1] ?? ""}'`);
  }
  if (argv.includes("--version") || argv.includes("-v")) {
    common.appendLog("FAKE_CLAUDE_LOG", { argv });
    await common.writeOut(`${version} (Claude Code)\n`);
    return common.finish(0);
  }
  const parsed = parseOptions(argv);
  if (parsed.error) {
    common.appendLog("FAKE_CLAUDE_LOG", { argv, outcome: "usage_error" });
    return fail(parsed.error);
  }
  if (!parsed.options["-p"] && !parsed.options["--print"]) {
    common.appendLog("FAKE_CLAUDE_LOG", { argv, outcome: "interactive" });
    return fail("fake claude: the interactive mode is not implemented");
  }
  return print(parsed.options, parsed.positionals);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
