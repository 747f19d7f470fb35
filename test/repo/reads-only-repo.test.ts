/**
 * The index reads only the repository, reads every text encoding whole, and keeps junk below code
 * (issue 12 item 7): symlinks out of the repository, `.git` in any form, latin-1 / UTF-16 files,
 * undecodable files, base64 blobs named like code, `.gitattributes` linguist overrides.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildRepoMap, indexRepo } from "../../src/repo/index.js";
import { closeAllDatabases } from "../../src/store/database.js";
import { heuristicCounter } from "../../src/tokens/heuristic.js";
import { type TempRepo, tempRepo } from "./helpers.js";

let repo: TempRepo | undefined;
afterEach(() => {
  closeAllDatabases();
  repo?.cleanup();
});

const fakeKeys =
  'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\nAWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n\ndef leaked_secret_reader():\n    return AWS_SECRET_ACCESS_KEY\n';

function link(target: string, path: string): void {
  mkdirSync(dirname(join(repo!.root, path)), { recursive: true });
  symlinkSync(target, join(repo!.root, path));
}

describe("the index reads only the repository", () => {
  it("never follows a file or folder symlink that leads outside, nor reads .git in any form", async () => {
    repo = tempRepo({
      "app/main.py": "from config.settings import DEBUG\n\ndef main():\n    return DEBUG\n",
      "config/settings.py": "DEBUG = True\n\ndef load_settings():\n    return DEBUG\n",
      ".gitignore": "ignored/\n",
      "ignored/private.py": "def ignored_private():\n    pass\n",
    });
    // ../../outside: next to the repository, like a checkout beside the user's other folders.
    const outside = join(dirname(repo.root), "outside");
    mkdirSync(join(outside, "pkg"), { recursive: true });
    writeFileSync(join(outside, "credentials.py"), fakeKeys);
    writeFileSync(join(outside, "pkg", "stolen.py"), fakeKeys);
    link("../../outside/credentials.py", "config/local_settings.py");
    link("/etc/passwd", "config/passwd.py");
    link("../outside/pkg", "linked_pkg");
    link("../outside", "linked_dir_root");
    link("missing.py", "config/dangling.py");
    // A symlink that stays inside is fine, and is read through its target.
    link("settings.py", "config/alias.py");
    // A worktree's `.git` file and a nested `.git` folder are git's, not source.
    writeFileSync(join(repo.root, "app", ".git"), "gitdir: /elsewhere/.git/worktrees/app\n");
    mkdirSync(join(repo.root, "sub", ".git"), { recursive: true });
    writeFileSync(join(repo.root, "sub", ".git", "hooks.py"), "def git_hook_inside():\n    pass\n");
    writeFileSync(join(repo.root, ".git", "config.py"), "def git_internal():\n    pass\n");

    const indexed = await indexRepo(repo.root, { env: repo.env });
    const paths = indexed.files.map((file) => file.path);
    expect(paths).toEqual([".gitignore", "app/main.py", "config/alias.py", "config/settings.py"]);
    expect(indexed.skipped.outside).toBe(5);
    expect(indexed.files.find((file) => file.path === "config/alias.py")?.symbols.map((s) => s.name)).toEqual(
      ["DEBUG", "load_settings"],
    );

    const map = await buildRepoMap({
      repoRoot: repo.root,
      tokens: 4096,
      counter: heuristicCounter(),
      index: { env: repo.env },
    });
    for (const secret of ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "leaked_secret_reader", "root:x:0"]) {
      expect(map.text).not.toContain(secret);
    }
    expect(map.text).not.toMatch(/local_settings|passwd|stolen|linked_|git_hook|git_internal|ignored/);
    expect(map.text).toContain("def load_settings()");
  });

  it("the drafter's packer does not read a context file that links outside either", async () => {
    const { packContext } = await import("../../src/repo/index.js");
    repo = tempRepo({ "app.py": "def app():\n    return 1\n" });
    writeFileSync(join(dirname(repo.root), "credentials.py"), fakeKeys);
    link("../credentials.py", "local_settings.py");
    const packed = await packContext({
      repoRoot: repo.root,
      targetFiles: ["app.py"],
      contextFiles: ["local_settings.py"],
      budgetTokens: 2000,
      counter: heuristicCounter(),
    });
    expect(JSON.stringify(packed)).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(packed.blocks.map((block) => block.file)).toEqual(["app.py"]);
  });

  it("a file swapped for an outside symlink after the walk is not followed when read", async () => {
    const { readRepoFile } = await import("../../src/repo/safe-read.js");
    repo = tempRepo({ "a.py": "x = 1\n" });
    const outside = join(dirname(repo.root), "secret.txt");
    writeFileSync(outside, "secret\n");
    link(outside, "b.py");
    expect(() => readRepoFile(join(repo!.root, "b.py"))).toThrow(/ELOOP|symbolic/);
  });
});

describe("encodings", () => {
  it("indexes latin-1, cp1252, UTF-8 with BOM and UTF-16 (LE/BE, with or without BOM) with whole names", async () => {
    repo = tempRepo({
      "latin.py": Buffer.from("def f\xfcr_alle():\n    pass\n\nclass Caf\xe9Config:\n    pass\n", "latin1"),
      // 0x80 is the euro sign in windows-1252 (in a comment), é in a name.
      "cp.py": Buffer.concat([
        Buffer.from("# prix en ", "latin1"),
        Buffer.from([0x80]),
        Buffer.from("\ndef r\xe9sum\xe9_total():\n    pass\n", "latin1"),
      ]),
      "bom.ts": Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from("export function withBom(): number { return 1; }\n"),
      ]),
      "wide.py": Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from("def wide_function():\n    pass\n\nclass WideClass:\n    pass\n", "utf16le"),
      ]),
      "wide_be.py": Buffer.concat([
        Buffer.from([0xfe, 0xff]),
        Buffer.from("def big_endian_function():\n    pass\n", "utf16le").swap16(),
      ]),
      "wide_nobom.py": Buffer.from("def no_bom_wide():\n    pass\n", "utf16le"),
    });
    const { files } = await indexRepo(repo.root, { env: repo.env });
    const names = (path: string) => files.find((file) => file.path === path)?.symbols.map((s) => s.name);
    expect(names("latin.py")).toEqual(["für_alle", "CaféConfig"]);
    expect(names("cp.py")).toEqual(["résumé_total"]);
    expect(names("bom.ts")).toEqual(["withBom"]);
    expect(names("wide.py")).toEqual(["wide_function", "WideClass"]);
    expect(names("wide_be.py")).toEqual(["big_endian_function"]);
    expect(names("wide_nobom.py")).toEqual(["no_bom_wide"]);
    // A UTF-16 text file that is not source is listed, not taken for binary.
    repo.write("notes.txt", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("notes\n", "utf16le")]));
    const again = await indexRepo(repo.root, { env: repo.env });
    expect(again.files.map((file) => file.path)).toContain("notes.txt");
  });

  it("lists a file that cannot be decoded by path, and says so", async () => {
    repo = tempRepo({
      "garbage.go": new Uint8Array([0x70, 0, 0x61, 0xff, 0, 0, 0x12, 0x80, 0, 1, 2, 3, 0, 0, 0, 9]),
      "ok.go": "package ok\n\nfunc Fine() {}\n",
    });
    const result = await indexRepo(repo.root, { env: repo.env });
    expect(result.files.map((file) => [file.path, file.junk ?? null])).toEqual([
      ["garbage.go", "undecodable"],
      ["ok.go", null],
    ]);
    expect(result.unparsed).toEqual(["garbage.go"]);
    const map = await buildRepoMap({
      repoRoot: repo.root,
      tokens: 1024,
      counter: heuristicCounter(),
      index: { env: repo.env },
    });
    expect(map.text.trimEnd().split("\n").at(-1)).toBe("garbage.go");
  });
});

describe("junk never crowds out code", () => {
  it("300 base64 blobs named *.ts beside six modules: the 1,024-token map shows the six modules first", async () => {
    const files: Record<string, string> = {};
    const modules = ["auth", "billing", "catalog", "delivery", "email", "feedback"];
    // Standalone modules (no imports between them): nothing but their own definitions to rank them.
    for (const name of modules) {
      files[`src/${name}.ts`] = [
        `export function ${name}Start(id: string): string { return id; }`,
        `export function ${name}Stop(id: string): void { console.log(id); }`,
        `export class ${name[0]!.toUpperCase()}${name.slice(1)}Service {`,
        "  handle(request: Request): Response { return new Response(String(request.url)); }",
        "}",
        "",
      ].join("\n");
    }
    let seed = 7;
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (let blob = 0; blob < 300; blob++) {
      let text = "";
      for (let index = 0; index < 1200; index++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        text += letters[seed % 64];
        if (index % 76 === 75) text += "\n";
      }
      files[`assets/blob_${String(blob).padStart(3, "0")}.ts`] = `${text}==\n`;
    }
    repo = tempRepo(files);
    const map = await buildRepoMap({
      repoRoot: repo.root,
      tokens: 1024,
      counter: heuristicCounter(),
      index: { env: repo.env },
    });
    const headers = map.text.split("\n").filter((line) => line !== "" && !line.startsWith(" "));
    expect(headers.slice(0, 6).sort()).toEqual(modules.map((name) => `src/${name}.ts:`));
    for (const name of modules)
      expect(map.text).toContain(`export function ${name}Start(id: string): string`);
    expect(map.tokens).toBeLessThanOrEqual(1024);
  });

  it("honours .gitattributes linguist-generated / linguist-vendored, and unsetting them", async () => {
    repo = tempRepo({
      ".gitattributes":
        "gen/** linguist-generated\nlib/*.js linguist-vendored=true\nlib/keep.js -linguist-vendored\n",
      "gen/api.ts": "export function generatedApi(): void {}\n",
      "lib/jquery.js": "function vendoredJquery() {}\n",
      "lib/keep.js": "function keepMine() {}\n",
      "src/app.ts": "export function app(): void {}\n",
    });
    const { files } = await indexRepo(repo.root, { env: repo.env });
    const kinds = Object.fromEntries(
      files.map((file) => [file.path, [file.junk ?? null, file.symbols.length]]),
    );
    expect(kinds).toEqual({
      ".gitattributes": [null, 0],
      "gen/api.ts": ["generated", 0],
      "lib/jquery.js": ["vendored", 0],
      "lib/keep.js": [null, 1],
      "src/app.ts": [null, 1],
    });
    const map = await buildRepoMap({
      repoRoot: repo.root,
      tokens: 1024,
      counter: heuristicCounter(),
      index: { env: repo.env },
    });
    const lines = map.text.trimEnd().split("\n");
    expect(lines.slice(-2)).toEqual(["gen/api.ts", "lib/jquery.js"]);
  });
});
