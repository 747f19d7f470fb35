import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../kit/index.js";
import { gitEnv } from "../verify/git-repo.js";
import { isolatedEnv, runInProcess } from "../worker/cli-io.js";

let fake: FakeOllama | null = null;
const folders: string[] = [];
afterEach(async () => {
  await fake?.close();
  fake = null;
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe("hierocode plan --write", () => {
  // A whole plan in-process (repository index, the drafter's real tokenizer): tens of seconds on a
  // loaded machine, so its own timeout above the default.
  it("renders the plan as HACO tickets with the detected test command", { timeout: 60_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), "hierocode-planmd-"));
    folders.push(root);
    cpSync(resolve("test/fixtures/hello-node"), root, { recursive: true });
    execFileSync("git", ["init", "-q"], { cwd: root });
    execFileSync("git", ["add", "-A"], { cwd: root });
    execFileSync("git", ["commit", "-q", "-m", "init"], { cwd: root, env: { ...process.env, ...gitEnv } });
    const plan = {
      summary: "Create src/slug.js.",
      units: [
        {
          id: "u1",
          goal: "Implement slugify",
          target_files: ["src/slug.js"],
          new_files: ["src/slug.js"],
          context_files: ["test/slug.test.js"],
          acceptance: ["test/slug.test.js passes"],
          depends_on: [],
          est_input_tokens: 500,
          complexity: 2,
        },
      ],
    };
    fake = await startFakeOllama({ default: { json: plan } });
    const env = isolatedEnv();
    const configFile = join(env.HOME ?? "", "plan.yaml");
    writeFileSync(
      configFile,
      `providers:\n  local:\n    type: ollama\n    base_url: ${fake.url}\nrouting:\n  planner: { provider: local, model: llama3.2 }\n  drafter: { provider: local, model: qwen2.5-coder:7b }\n`,
    );
    // An existing plan (here supervisor init's template) is replaced; other files are not.
    writeFileSync(join(root, "PLAN.md"), "# PLAN: <initiative>\n\n## Summary\n");
    // --write is relative to the current folder, like every path the CLI takes.
    const result = await runInProcess(
      ["plan", "-t", "Add slugify", "--write", "PLAN.md", "--repo", root],
      { ...env, HIEROCODE_CONFIG: configFile },
      root,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`wrote PLAN.md (${join(realpathSync(root), "PLAN.md")})`);
    const markdown = readFileSync(join(root, "PLAN.md"), "utf8");
    expect(markdown.split("\n")[0]).toBe("# PLAN: Add slugify");
    expect(markdown).toContain("### 1. Implement slugify");
    expect(markdown).toContain("- Files: `src/slug.js` (new)");
    expect(markdown).toContain("  - [ ] test/slug.test.js passes");
    expect(markdown).toContain("```sh\nnpm test\n```");
  });

  it("a folder for --write is a usage error before the planner is called", { timeout: 60_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), "hierocode-planmd-"));
    folders.push(root);
    cpSync(resolve("test/fixtures/hello-node"), root, { recursive: true });
    execFileSync("git", ["init", "-q"], { cwd: root });
    fake = await startFakeOllama({ default: { json: { summary: "x", units: [] } } });
    const env = isolatedEnv();
    const configFile = join(env.HOME ?? "", "plan.yaml");
    writeFileSync(
      configFile,
      `providers:\n  local:\n    type: ollama\n    base_url: ${fake.url}\nrouting:\n  planner: { provider: local, model: llama3.2 }\n  drafter: { provider: local, model: qwen2.5-coder:7b }\n`,
    );
    const result = await runInProcess(
      ["plan", "-t", "Add slugify", "--write", "src"],
      { ...env, HIEROCODE_CONFIG: configFile },
      root,
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^error: --write src is a folder\nhint: /);
    expect(fake.requests.filter((request) => request.path === "/api/chat")).toEqual([]);
  });

  it("outside the repository root, --write is relative to the current folder, not the root", {
    timeout: 60_000,
  }, async () => {
    const base = realpathSync(mkdtempSync(join(tmpdir(), "hierocode-planmd-")));
    folders.push(base);
    const root = join(base, "repo");
    cpSync(resolve("test/fixtures/hello-node"), root, { recursive: true });
    execFileSync("git", ["init", "-q"], { cwd: root });
    const plan = {
      summary: "Create src/slug.js.",
      units: [
        {
          id: "u1",
          goal: "Implement slugify",
          target_files: ["src/slug.js"],
          new_files: ["src/slug.js"],
          context_files: [],
          acceptance: ["slugify works"],
          depends_on: [],
          est_input_tokens: 500,
          complexity: 2,
        },
      ],
    };
    fake = await startFakeOllama({ default: { json: plan } });
    const env = isolatedEnv();
    const configFile = join(env.HOME ?? "", "plan.yaml");
    writeFileSync(
      configFile,
      `providers:\n  local:\n    type: ollama\n    base_url: ${fake.url}\nrouting:\n  planner: { provider: local, model: llama3.2 }\n  drafter: { provider: local, model: qwen2.5-coder:7b }\n`,
    );
    const withConfig = { ...env, HIEROCODE_CONFIG: configFile };
    // in a subfolder of the repository: beside the user, not at the repository root
    const sub = join(root, "src");
    const inSub = await runInProcess(["plan", "-t", "Add slugify", "--write", "PLAN.md"], withConfig, sub);
    expect(inSub.code, inSub.stderr).toBe(0);
    expect(inSub.stderr).toContain(`wrote PLAN.md (${join(sub, "PLAN.md")})`);
    expect(readFileSync(join(sub, "PLAN.md"), "utf8").split("\n")[0]).toBe("# PLAN: Add slugify");
    expect(existsSync(join(root, "PLAN.md"))).toBe(false);
    // beside the repository with --repo: in the current folder, nothing in the repository
    const notes = join(base, "notes");
    mkdirSync(notes);
    const outside = await runInProcess(
      ["plan", "-t", "Add slugify", "--write", "plans/PLAN.md", "--repo", "../repo"],
      withConfig,
      notes,
    );
    expect(outside.code, outside.stderr).toBe(0);
    expect(outside.stderr).toContain(`wrote plans/PLAN.md (${join(notes, "plans", "PLAN.md")})`);
    expect(readFileSync(join(notes, "plans", "PLAN.md"), "utf8")).toContain("# PLAN: Add slugify");
    expect(existsSync(join(root, "plans"))).toBe(false);
  });

  it("--write refuses .git/, folders symlinked out, control files and files that are not a plan, before the planner is called", {
    timeout: 60_000,
  }, async () => {
    const base = realpathSync(mkdtempSync(join(tmpdir(), "hierocode-planmd-")));
    folders.push(base);
    const root = join(base, "repo");
    writeFileSync(join(base, "notes.md"), "my notes\n");
    cpSync(resolve("test/fixtures/hello-node"), root, { recursive: true });
    execFileSync("git", ["init", "-q"], { cwd: root });
    const head = readFileSync(join(root, ".git/HEAD"), "utf8");
    const source = readFileSync(join(root, "package.json"), "utf8");
    mkdirSync(join(root, "out"));
    symlinkSync(tmpdir(), join(root, "out", "tmp"));
    fake = await startFakeOllama({ default: { json: { summary: "x", units: [] } } });
    const env = isolatedEnv();
    const configFile = join(env.HOME ?? "", "plan.yaml");
    writeFileSync(
      configFile,
      `providers:\n  local:\n    type: ollama\n    base_url: ${fake.url}\nrouting:\n  planner: { provider: local, model: llama3.2 }\n  drafter: { provider: local, model: qwen2.5-coder:7b }\n`,
    );
    const cases: Array<[string, RegExp]> = [
      [".git/HEAD", /^error: --write \.git\/HEAD: path inside \.git refused/],
      ["../notes.md", /^error: refusing to overwrite \.\.\/notes\.md: it is not a plan/],
      ["out/tmp/plan.md", /^error: --write out\/tmp\/plan\.md leads out of the repository/],
      [".hierocode.yaml", /hierocode's own config file/],
      ["package.json", /^error: refusing to overwrite package\.json: it is not a plan/],
    ];
    for (const [file, message] of cases) {
      const result = await runInProcess(
        ["plan", "-t", "Add slugify", "--write", file],
        { ...env, HIEROCODE_CONFIG: configFile },
        root,
      );
      expect(result.code, `${file}: ${result.stderr}`).toBe(2);
      expect(result.stderr, file).toMatch(message);
      expect(result.stderr, file).toMatch(/\nhint: /);
    }
    expect(readFileSync(join(root, ".git/HEAD"), "utf8")).toBe(head);
    expect(readFileSync(join(root, "package.json"), "utf8")).toBe(source);
    expect(readFileSync(join(base, "notes.md"), "utf8")).toBe("my notes\n");
    expect(existsSync(join(tmpdir(), "plan.md"))).toBe(false);
    expect(fake.requests.filter((request) => request.path === "/api/chat")).toEqual([]);
  });
});
