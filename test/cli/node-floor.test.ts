/** The binary refuses an old Node.js with one line and exit 1, before loading anything that fails. */
import { execFileSync, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { minimumNode, nodeVersionProblem } from "../../src/cli/node-floor.js";

describe("node floor", () => {
  it("accepts 22.13 and later, refuses earlier", () => {
    expect(minimumNode).toEqual([22, 13, 0]);
    for (const ok of ["22.13.0", "22.13.1", "22.20.0", "23.0.0", "24.22.3", "v25.1.0"])
      expect(nodeVersionProblem(ok), ok).toBeNull();
    for (const old of ["22.12.9", "22.5.1", "20.20.2", "18.0.0", "21.99.0"])
      expect(nodeVersionProblem(old), old).toBe(
        `hierocode needs Node.js ≥ 22.13; this is ${old} — install a current Node.js (https://nodejs.org, or nvm install 24) and run it again`,
      );
  });

  it("matches package.json engines", async () => {
    const { default: manifest } = await import("../../package.json", { with: { type: "json" } });
    expect(manifest.engines.node).toBe(`>=${minimumNode[0]}.${minimumNode[1]}`);
  });

  // The machine's own Node.js, when it is older than the floor (CI machines ship Node 20).
  const systemNode = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
    try {
      const version = execFileSync(path, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
      return nodeVersionProblem(version) !== null;
    } catch {
      return false;
    }
  });

  it.skipIf(!systemNode)("the built binary on an old Node.js prints one line and exits 1", () => {
    const result = spawnSync(systemNode!, [resolve("dist/cli/bin.js"), "--version"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^error: hierocode needs Node\.js ≥ 22\.13; this is \d+\.\d+\.\d+ — [^\n]+\n$/,
    );
  });
});
