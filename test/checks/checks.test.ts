import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createDraftChecker, formatFindings } from "../../src/checks/index.js";
import type { ChangedFile } from "../../src/pipeline/hooks.js";

const pythonRoot = resolve("test/checks/fixtures/python-app");
const tsRoot = resolve("test/checks/fixtures/ts-app");
const read = (root: string, file: string) => readFileSync(join(root, file), "utf8");

function edit(root: string, file: string, transform: (text: string) => string): ChangedFile {
  const before = read(root, file);
  return { file, before, after: transform(before) };
}

const checker = createDraftChecker();

describe("syntax check", () => {
  it("sends back a TypeScript draft that introduces a parse error", async () => {
    const change = edit(tsRoot, "src/greet.ts", (text) => text.replace("return `hello", "return (`hello"));
    const findings = await checker.check(tsRoot, [change]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: "syntax", severity: "error", file: "src/greet.ts" });
    expect(findings[0]?.message).toContain("typescript");
  });

  it("sends back a Python draft that introduces a parse error, with its line", async () => {
    const change = edit(pythonRoot, "app/client.py", (text) =>
      text.replace("def fetch(url: str) -> dict:", "def fetch(url: str) -> dict"),
    );
    const findings = await checker.check(pythonRoot, [change]);
    expect(findings).toEqual([expect.objectContaining({ check: "syntax", severity: "error", line: 7 })]);
  });

  it("does not blame a draft for a file that was already broken", async () => {
    const broken = "def f(:\n    pass\n";
    const findings = await checker.check(pythonRoot, [
      { file: "app/old.py", before: broken, after: `${broken}\nX = 1\n` },
    ]);
    expect(findings).toEqual([]);
  });

  it("checks JSON and YAML with their own parsers, allowing comments in tsconfig", async () => {
    const findings = await checker.check(tsRoot, [
      edit(tsRoot, "package.json", (text) => text.replace('"zod": "^4.0.0",', '"zod": "^4.0.0",,')),
      { file: "config/app.yaml", before: null, after: "name: app\nlist: [a, b\n" },
      {
        file: "tsconfig.json",
        before: null,
        after: '{\n  // comments are fine here\n  "compilerOptions": {}\n}\n',
      },
      { file: "data/ok.yml", before: null, after: "a: 1\n---\nb: 2\n" },
    ]);
    expect(
      findings.map((finding) => [finding.file, finding.severity, finding.message.split(":")[0]]),
    ).toEqual([
      ["package.json", "error", "the edited file is no longer valid JSON"],
      ["config/app.yaml", "error", "the edited file is no longer valid YAML"],
    ]);
  });

  it("accepts valid edits and ignores languages without a grammar", async () => {
    const findings = await checker.check(tsRoot, [
      edit(
        tsRoot,
        "src/greet.ts",
        (text) => `${text}\nexport const shout = (name: string): string => greet(name).toUpperCase();\n`,
      ),
      { file: "notes.txt", before: null, after: "def (((\n" },
    ]);
    expect(findings).toEqual([]);
  });
});

describe("dependency creep", () => {
  it("flags undeclared npm packages but not declared ones, builtins, relative imports or tsconfig paths", async () => {
    const change = edit(
      tsRoot,
      "src/greet.ts",
      (text) =>
        `import leftPad from "left-pad";\nimport { x } from "@other/thing/sub";\nimport { util } from "@scope/util/deep";\nimport { join } from "path";\nimport { helper } from "./helper.js";\nimport { cfg } from "@app/config";\nimport type { Test } from "vitest";\nconst lodash = require("lodash");\n// import "commented-out";\n${text}`,
    );
    const findings = await checker.check(tsRoot, [change]);
    expect(findings.map((finding) => finding.message)).toEqual([
      'imports "left-pad", which no package.json of the project declares',
      'imports "@other/thing", which no package.json of the project declares',
      'imports "lodash", which no package.json of the project declares',
    ]);
    expect(findings.every((finding) => finding.severity === "warning")).toBe(true);
    expect(findings[0]?.line).toBe(1);
  });

  it("counts a declared @types package as declaring the module for type imports", async () => {
    const manifest = edit(tsRoot, "package.json", (text) =>
      text.replace('"vitest": "^3.0.0"', '"vitest": "^3.0.0", "@types/express": "^5.0.0"'),
    );
    const code = edit(tsRoot, "src/greet.ts", (text) => `import type { Request } from "express";\n${text}`);
    const findings = await checker.check(tsRoot, [manifest, code]);
    expect(findings.map((finding) => finding.check)).toEqual(["manifest"]);
  });

  it("flags a new manifest entry, and then the import it declares is not flagged again", async () => {
    const manifest = edit(tsRoot, "package.json", (text) =>
      text.replace('"zod": "^4.0.0"', '"zod": "^4.0.0", "left-pad": "^1.3.0"'),
    );
    const code = edit(tsRoot, "src/greet.ts", (text) => `import leftPad from "left-pad";\n${text}`);
    const findings = await checker.check(tsRoot, [manifest, code]);
    expect(findings).toEqual([
      expect.objectContaining({
        check: "manifest",
        file: "package.json",
        message: expect.stringContaining('"left-pad"'),
      }),
    ]);
  });

  it("flags undeclared Python imports but not stdlib, declared (with aliases), local or relative ones", async () => {
    const change = edit(
      pythonRoot,
      "app/client.py",
      (text) =>
        `import numpy as np\nfrom flask import Flask\nimport yaml\nimport ruff\nimport pytest\nimport collections.abc, sys\nfrom app import helpers\nfrom . import sibling\nfrom app.newmod import thing\n${text}`,
    );
    const added: ChangedFile = { file: "app/newmod.py", before: null, after: "thing = 1\n" };
    const findings = await checker.check(pythonRoot, [change, added]);
    expect(findings.map((finding) => finding.message.split(",")[0])).toEqual([
      'imports "numpy"',
      'imports "flask"',
    ]);
  });

  it("flags Go imports outside the standard library, the module and go.mod's requires", async () => {
    const goRoot = resolve("test/checks/fixtures/go-app");
    const change = edit(goRoot, "cmd/main.go", (text) =>
      text.replace(
        '\t"fmt"\n',
        '\t"fmt"\n\t"net/http"\n\t"example.com/goapp/internal/db"\n\t"golang.org/x/sync/errgroup"\n\tyaml "gopkg.in/yaml.v3"\n',
      ),
    );
    const findings = await checker.check(goRoot, [change]);
    expect(findings.map((finding) => [finding.line, finding.message])).toEqual([
      [8, 'imports "gopkg.in/yaml.v3", which the project\'s go.mod does not declare'],
    ]);
  });

  it("flags Rust crates that Cargo.toml does not list (dashes and underscores alike)", async () => {
    const rustRoot = resolve("test/checks/fixtures/rust-app");
    const change = edit(
      rustRoot,
      "src/lib.rs",
      (text) =>
        `use std::collections::HashMap;\nuse serde_json::Value;\nuse crate::Point as P;\nuse rust_app::Point;\nuse rand::Rng;\nextern crate regex;\n${text}`,
    );
    const findings = await checker.check(rustRoot, [change]);
    expect(findings.map((finding) => finding.message.split(",")[0])).toEqual([
      'imports "rand"',
      'imports "regex"',
    ]);
  });

  it("flags new requirements and pyproject entries", async () => {
    const findings = await checker.check(pythonRoot, [
      edit(pythonRoot, "requirements-dev.txt", (text) => `${text}black==24.1\n`),
      edit(pythonRoot, "pyproject.toml", (text) => text.replace('"PyYAML",', '"PyYAML",\n  "httpx>=0.27",')),
    ]);
    expect(
      findings.map((finding) => `${finding.check}:${finding.file}:${finding.message.split(" ")[3]}`),
    ).toEqual(['manifest:requirements-dev.txt:"black"', 'manifest:pyproject.toml:"httpx"']);
  });
});

describe("secrets and size", () => {
  const fakeKeys = {
    aws: `AKIA${"ABCDEFGHIJKLMNOP"}`,
    github: `ghp_${"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}`,
    openai: `sk-${"proj-4fG7hJ9kL2mN5pQ8rS1tV3wX6yZ0aB"}`,
  };

  it("flags credential-shaped additions, and private keys as errors", async () => {
    const after = [
      `AWS_KEY = "${fakeKeys.aws}"`,
      `token = "${fakeKeys.github}"`,
      `client = OpenAI(api_key="${fakeKeys.openai}")`,
      `DB_PASSWORD = "q8Zr2LmX9vPw4TkY7sN1"`,
      `API_KEY = "your-api-key-goes-here-xxxx"`,
      `SECRET = os.environ["SECRET_VALUE_NAME_LONG"]`,
      "-----BEGIN RSA PRIVATE KEY-----",
      "MIIEowIBAAKCAQEAq3Zr9LmX2vPw4TkY7sN1bH8SgKX2vLz1Ym9fGZcfqT0wQe5RuJd",
      "-----END RSA PRIVATE KEY-----",
      "",
    ].join("\n");
    const findings = await checker.check(pythonRoot, [{ file: "app/settings.py", before: null, after }]);
    const secrets = findings.filter((finding) => finding.check === "secret");
    // Known formats (gitleaks rules: AWS key id, private key) are errors; key-named literals warnings.
    expect(secrets.map((finding) => [finding.line, finding.severity])).toEqual([
      [1, "error"],
      [7, "error"],
      [2, "warning"],
      [3, "warning"],
      [4, "warning"],
    ]);
    expect(formatFindings(secrets).split("\n")[1]).toBe(
      "error [secret] app/settings.py:7: adds what looks like a credential (private-key); secrets belong in the environment or a secret store, not in code",
    );
  });

  it("reads .env-style assignments without quotes, but not identifiers or calls", async () => {
    const after = [
      "STRIPE_SECRET=rk9Qw2Lm8ZxT4vBn6YpA",
      "AUTH_TOKEN=generateTokenForUser",
      "token = makeToken(user_id, 3600)",
      "",
    ].join("\n");
    const findings = await checker.check(pythonRoot, [{ file: ".env.example", before: null, after }]);
    expect(findings.map((finding) => finding.line)).toEqual([1]);
  });

  it("does not re-report a secret that was already in the file", async () => {
    const before = `KEY = "${fakeKeys.aws}"\n`;
    const findings = await checker.check(pythonRoot, [
      { file: "app/k.py", before, after: `${before}OTHER = 1\n` },
    ]);
    expect(findings).toEqual([]);
  });

  it("flags embedded blobs and huge files", async () => {
    const blob = `DATA = "${"QUJD".repeat(400)}"\n`;
    const huge = `${"x = 1\n".repeat(40_000)}`;
    const findings = await checker.check(pythonRoot, [
      { file: "app/blob.py", before: null, after: blob },
      { file: "app/huge.py", before: null, after: huge },
    ]);
    expect(findings.map((finding) => [finding.file, finding.check, finding.message.split(" (")[0]])).toEqual([
      ["app/blob.py", "size", "adds an embedded blob"],
      [
        "app/huge.py",
        "size",
        "the file grows to 234 KiB; a very large blob is unlikely to be hand-written code",
      ],
    ]);
  });
});
