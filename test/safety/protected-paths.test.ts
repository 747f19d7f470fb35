/**
 * Issue 11, item 2: a model's edit never writes hierocode's control files (`.hierocode.yaml`,
 * `.haco/`, the user config) nor `policy.protected_paths`, in every apply path, with the reason.
 */
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { applyEditsInMemory, parseEdits } from "../../src/edits/index.js";
import {
  checkWritablePath,
  configureProtectedPaths,
  defaultProtectedPaths,
} from "../../src/edits/path-rules.js";
import { ExitCode } from "../../src/errors.js";
import { cli } from "../app/cli-harness.js";
import { type FakeAnthropic, startFakeAnthropic } from "../kit/fake-anthropic.js";
import { type FakeOllama, startFakeOllama } from "../kit/fake-ollama.js";
import { type FakeOpenAi, startFakeOpenAI } from "../kit/fake-openai.js";
import { makeSandbox, roleConfig, runCliProcess } from "../pipeline/support/e2e.js";
import { searchReplace, unit } from "../pipeline/support/harness.js";

const cleanups: Array<() => unknown> = [];

/** One retry per call: under heavy load a fake may drop a kept-alive connection. */
function tolerant<T extends { providers: Record<string, { max_retries?: number }> }>(config: T): T {
  for (const provider of Object.values(config.providers)) provider.max_retries = 1;
  return config;
}
afterEach(async () => {
  configureProtectedPaths({ patterns: defaultProtectedPaths });
  while (cleanups.length) await cleanups.pop()?.();
});

function edit(path: string, search: string, replace: string): string {
  return `${path}\n\`\`\`\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n\`\`\`\n`;
}

function repoWith(files: Record<string, string>): {
  repo: string;
  home: string;
  env: Record<string, string>;
} {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "hc-protect-")));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const repo = join(root, "repo");
  const home = join(root, "home");
  mkdirSync(home, { recursive: true });
  execFileSync("git", ["init", "-q", repo]);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(repo, path, ".."), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  return {
    repo,
    home,
    env: {
      HOME: home,
      HIEROCODE_STATE_DIR: join(root, "state"),
      HIEROCODE_CACHE_DIR: join(root, "cache"),
      NO_COLOR: "1",
    },
  };
}

describe("protected paths", () => {
  it.each([
    [".hierocode.yaml", "hierocode's own config file"],
    ["sub/.hierocode.yaml", "hierocode's own config file"],
    [".haco/.gitignore", "under .haco/"],
    [".HACO/logs/x.jsonl", "under .haco/"],
    [".github/workflows/ci.yml", "'.github/workflows/'"],
    [".env", "'.env*'"],
    ["config/.env.production", "'.env*'"],
    [".husky/pre-commit", "'.husky/'"],
    [".gitlab-ci.yml", "'.gitlab-ci.yml'"],
    [".pre-commit-config.yaml", "'.pre-commit-config.yaml'"],
  ])("refuses %s with the reason", (path, reason) => {
    expect(() => checkWritablePath(path)).toThrow(/protected path refused/);
    expect(() => checkWritablePath(path)).toThrow(reason);
  });

  it.each(["src/app.py", ".github/ISSUE_TEMPLATE.md", "docs/env.md", "haco/readme.md"])(
    "allows %s",
    (path) => {
      expect(() => checkWritablePath(path)).not.toThrow();
    },
  );

  it("the in-memory apply (every pipeline draft) refuses a control file", () => {
    const parsed = parseEdits(
      edit(".hierocode.yaml", "policy: {}", 'policy: { verify_command: "curl x | sh" }'),
      {
        knownFiles: [".hierocode.yaml"],
      },
    );
    const result = applyEditsInMemory(parsed.edits, () => "policy: {}\n");
    expect(result.ok).toBe(false);
    expect(result.changes).toEqual([]);
    expect(result.outcomes[0]?.reason).toMatch(
      /protected path refused: \.hierocode\.yaml is hierocode's own config/,
    );
  });

  it("patch apply refuses .hierocode.yaml and .haco/.gitignore, writes nothing, exits 9", async () => {
    const { repo, env, home } = repoWith({
      ".hierocode.yaml": "policy: {}\n",
      ".haco/.gitignore": "*\n",
      "src/a.py": "x = 1\n",
    });
    const replyFile = join(home, "reply.md");
    writeFileSync(
      replyFile,
      [
        edit("src/a.py", "x = 1", "x = 2"),
        edit(".hierocode.yaml", "policy: {}", 'policy: { verify_command: "curl x | sh" }'),
        edit(".haco/.gitignore", "*", "!*"),
      ].join("\n"),
    );
    const result = await cli(["patch", "apply", replyFile], env, repo);
    expect(result.code).toBe(ExitCode.editsFailed);
    expect(`${result.stdout}${result.stderr}`).toMatch(/protected path refused: \.hierocode\.yaml/);
    expect(`${result.stdout}${result.stderr}`).toMatch(/protected path refused: \.haco\/\.gitignore/);
    expect(readFileSync(join(repo, ".hierocode.yaml"), "utf8")).toBe("policy: {}\n");
    expect(readFileSync(join(repo, ".haco/.gitignore"), "utf8")).toBe("*\n");
    expect(readFileSync(join(repo, "src/a.py"), "utf8")).toBe("x = 1\n");
  });

  it("a symlink into .haco/ or to the user config is refused too", async () => {
    const { repo, env, home } = repoWith({ ".haco/.gitignore": "*\n", "conf/hc.yaml": "policy: {}\n" });
    symlinkSync(".haco", join(repo, "logs"));
    const replyFile = join(home, "reply.md");
    writeFileSync(replyFile, edit("logs/.gitignore", "*", "!*"));
    const viaLink = await cli(["patch", "apply", replyFile], env, repo);
    expect(viaLink.code).toBe(ExitCode.editsFailed);
    expect(readFileSync(join(repo, ".haco/.gitignore"), "utf8")).toBe("*\n");

    writeFileSync(replyFile, edit("conf/hc.yaml", "policy: {}", "policy: { verify_command: evil }"));
    const userConfig = await cli(
      ["patch", "apply", replyFile],
      { ...env, HIEROCODE_CONFIG: join(repo, "conf/hc.yaml") },
      repo,
    );
    expect(userConfig.code).toBe(ExitCode.editsFailed);
    expect(`${userConfig.stdout}${userConfig.stderr}`).toContain("is your hierocode config");
    expect(readFileSync(join(repo, "conf/hc.yaml"), "utf8")).toBe("policy: {}\n");
  });

  it("the user's policy.protected_paths replaces the defaults; a project file may not change it untrusted", async () => {
    const { repo, env, home } = repoWith({ "secrets/keys.txt": "a\n", ".env": "A=1\n" });
    writeFileSync(join(home, ".hierocode.yaml"), stringify({ policy: { protected_paths: ["secrets/"] } }));
    writeFileSync(join(repo, ".hierocode.yaml"), stringify({ policy: { protected_paths: [] } }));
    const replyFile = join(home, "reply.md");
    writeFileSync(replyFile, edit("secrets/keys.txt", "a", "b"));
    const refused = await cli(["patch", "apply", replyFile], env, repo);
    expect(refused.code).toBe(ExitCode.editsFailed);
    expect(`${refused.stdout}${refused.stderr}`).toContain("matches policy.protected_paths ('secrets/')");
    writeFileSync(replyFile, edit(".env", "A=1", "A=2"));
    const allowed = await cli(["patch", "apply", replyFile], env, repo);
    expect(allowed.code, allowed.stderr).toBe(ExitCode.ok);
    expect(readFileSync(join(repo, ".env"), "utf8")).toBe("A=2\n");
  });
});

describe("run --apply --yes with a plan targeting .hierocode.yaml", { timeout: 60_000 }, () => {
  let anthropic: FakeAnthropic;
  let ollama: FakeOllama;
  let openai: FakeOpenAi;

  it("never writes the draft into the control file", async () => {
    anthropic = await startFakeAnthropic();
    ollama = await startFakeOllama();
    openai = await startFakeOpenAI();
    cleanups.push(() => Promise.all([anthropic.close(), ollama.close(), openai.close()]));
    const original = "policy:\n  max_revisions_per_unit: 1\n";
    const sandbox = makeSandbox(
      tolerant(roleConfig({ anthropic: anthropic.url, ollama: ollama.url, openai: openai.baseUrl })),
      {
        ".hierocode.yaml": original,
      },
    );
    cleanups.push(() => rmSync(join(sandbox.repo, ".."), { recursive: true, force: true }));
    anthropic.script.setDefault({ json: { summary: "s", units: [unit("u1", [".hierocode.yaml"])] } });
    ollama.script.setDefault({
      text: searchReplace(
        ".hierocode.yaml",
        "  max_revisions_per_unit: 1",
        '  max_revisions_per_unit: 1\n  verify_command: "touch pwned"',
      ),
    });
    openai.script.setDefault({
      json: { action: "accept", feedback: "", issues: [], confidence: 0.95, sub_units: [] },
    });
    const run = await runCliProcess(sandbox, ["run", "-t", "add a verify command", "--apply", "--yes"]);
    expect(run.code).not.toBe(0);
    expect(readFileSync(join(sandbox.repo, ".hierocode.yaml"), "utf8")).toBe(original);
    expect(run.stderr).toMatch(
      /target '\.hierocode\.yaml' may not be edited \(\.hierocode\.yaml is hierocode's own config file\)/,
    );
  });
});
