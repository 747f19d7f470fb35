"use strict";
/**
 * Shared plumbing of the fake `claude` and `codex` executables: stdin, the invocation log,
 * scripted replies (rules with a `times` budget kept in a state file) and hang helpers.
 * Plain CommonJS so it runs without a build step.
 */
const fs = require("node:fs");
const path = require("node:path");
const { spawn } = require("node:child_process");

function readStdin() {
  if (process.stdin.isTTY) return "";
  const chunks = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    let count;
    try {
      count = fs.readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      if (error.code === "EAGAIN") continue;
      if (error.code === "EOF") break;
      throw error;
    }
    if (count === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, count)));
  }
  return Buffer.concat(chunks).toString("utf8");
}

const loggedEnvKeys = [
  "HOME",
  "TMPDIR",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "CLAUDE_CODE_ENTRYPOINT",
  "CODEX_API_KEY",
  "OPENAI_API_KEY",
  "CODEX_HOME",
];

function envSubset() {
  const subset = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (loggedEnvKeys.includes(key) || key.startsWith("FAKE_") || key.startsWith("HIEROCODE_"))
      subset[key] = value;
  }
  return subset;
}

function appendLog(logVariable, entry) {
  const file = process.env[logVariable];
  if (!file) return;
  const record = {
    time: new Date().toISOString(),
    pid: process.pid,
    cwd: process.cwd(),
    env: envSubset(),
    ...entry,
  };
  fs.appendFileSync(file, `${JSON.stringify(record)}\n`);
}

function loadScript(scriptVariable) {
  const file = process.env[scriptVariable];
  if (!file) return { file: undefined, rules: [], fallback: undefined };
  const parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  if (Array.isArray(parsed)) return { file, rules: parsed, fallback: undefined };
  return { file, rules: parsed.rules ?? [], fallback: parsed.default };
}

function includesAll(text, needle) {
  const needles = Array.isArray(needle) ? needle : [needle];
  return needles.every((item) => text.includes(item));
}

function matches(rule, context) {
  if (rule.promptIncludes !== undefined && !includesAll(context.prompt, rule.promptIncludes)) return false;
  if (rule.promptExcludes !== undefined && context.prompt.includes(rule.promptExcludes)) return false;
  if (rule.systemIncludes !== undefined && !includesAll(context.system, rule.systemIncludes)) return false;
  if (rule.hasSchema !== undefined && rule.hasSchema !== context.hasSchema) return false;
  if (rule.model !== undefined && rule.model !== context.model) return false;
  return true;
}

/** Serialises read-modify-write of the `times` counters between concurrent fakes. */
function withLock(lockPath, action) {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      fs.mkdirSync(lockPath);
      break;
    } catch (error) {
      if (error.code !== "EEXIST" || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    return action();
  } finally {
    fs.rmdirSync(lockPath);
  }
}

/** The first rule that matches and still has uses left, else the script's default (or undefined). */
function pickRule(script, context) {
  if (script.rules.length === 0) return { rule: script.fallback, index: undefined };
  const statePath = `${script.file}.state.json`;
  return withLock(`${script.file}.lock`, () => {
    const counts = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, "utf8")) : {};
    for (const [index, rule] of script.rules.entries()) {
      if (!matches(rule, context)) continue;
      const used = counts[index] ?? 0;
      if (rule.times !== undefined && used >= rule.times) continue;
      counts[index] = used + 1;
      fs.writeFileSync(statePath, JSON.stringify(counts));
      return { rule, index };
    }
    return { rule: script.fallback, index: undefined };
  });
}

/** A minimal instance of a JSON schema, so schema calls get a valid default reply. */
function exampleFromSchema(schema) {
  if (!schema || typeof schema !== "object") return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "object" || schema.properties) {
    const result = {};
    for (const key of schema.required ?? Object.keys(schema.properties ?? {})) {
      result[key] = exampleFromSchema(schema.properties?.[key]);
    }
    return result;
  }
  if (type === "array") return [];
  if (type === "string") return "example";
  if (type === "integer" || type === "number") return 0;
  if (type === "boolean") return false;
  if (Array.isArray(schema.anyOf)) return exampleFromSchema(schema.anyOf[0]);
  return null;
}

function estimateTokens(text) {
  return Math.ceil(Buffer.byteLength(text, "utf8") / 4);
}

/** A grandchild in the same process group, so tests can check that the whole tree dies. */
function spawnHangingChild(ignoreTerm) {
  const code = ignoreTerm
    ? "process.on('SIGTERM',()=>{});setInterval(()=>{},1e9)"
    : "setInterval(()=>{},1e9)";
  const child = spawn(process.execPath, ["-e", code], { stdio: "ignore" });
  child.unref();
  return child.pid;
}

function hangForever(ignoreTerm) {
  if (ignoreTerm) process.on("SIGTERM", () => {});
  setInterval(() => {}, 1e9);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Walks up from `directory` looking for `.git` (file or folder). */
function insideGitRepo(directory) {
  let current = path.resolve(directory);
  for (;;) {
    if (fs.existsSync(path.join(current, ".git"))) return true;
    const parent = path.dirname(current);
    if (parent === current) return false;
    current = parent;
  }
}

function writeOut(text) {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

function writeErr(text) {
  return new Promise((resolve) => process.stderr.write(text, () => resolve()));
}

/** Flushes stdout/stderr, then exits (process.exit can drop piped output). */
async function finish(code) {
  await writeOut("");
  await writeErr("");
  process.exit(code);
}

module.exports = {
  readStdin,
  appendLog,
  loadScript,
  pickRule,
  exampleFromSchema,
  estimateTokens,
  spawnHangingChild,
  hangForever,
  sleep,
  insideGitRepo,
  writeOut,
  writeErr,
  finish,
};
