import { afterEach, describe, expect, it } from "vitest";
import { buildRepoMap, defaultMapTokens } from "../../src/repo/index.js";
import { closeAllDatabases } from "../../src/store/database.js";
import { heuristicCounter } from "../../src/tokens/heuristic.js";
import { realTokenizer } from "../../src/tokens/real-tokenizers.js";
import { type TempRepo, tempRepo } from "./helpers.js";

let repo: TempRepo | undefined;
afterEach(() => {
  closeAllDatabases();
  repo?.cleanup();
});

/** A synthetic project: 60 modules, each with a class of 6 methods, calling into its neighbours. */
function project(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let module = 0; module < 60; module++) {
    const next = (module + 1) % 60;
    const lines = [`from pkg.module_${next} import Service${next}`, "", `class Service${module}:`];
    for (let method = 0; method < 6; method++) {
      lines.push(
        `    def operation_${module}_${method}(self, value: int, label: str = "x") -> int:`,
        `        return Service${next}().operation_${next}_${method}(value + ${method}, label)`,
        "",
      );
    }
    files[`pkg/module_${module}.py`] = lines.join("\n");
  }
  files["pkg/billing.py"] = [
    "class InvoiceRenderer:",
    "    def render_invoice(self, invoice_id: int) -> str:",
    "        return str(invoice_id)",
    "",
  ].join("\n");
  files["pkg/uses_billing.py"] = "from pkg.billing import InvoiceRenderer\n\nrenderer = InvoiceRenderer()\n";
  files["README.md"] = "# project\n";
  return files;
}

describe("repository map", () => {
  it("derives the default budget like aider, with a higher ceiling", () => {
    expect(defaultMapTokens(4096)).toBe(1024);
    expect(defaultMapTokens(32_768)).toBe(4096);
    expect(defaultMapTokens(200_000)).toBe(8192);
    expect(defaultMapTokens()).toBe(4096);
  });

  for (const budget of [256, 1024, 3000]) {
    it(`lands within 15% of a ${budget}-token budget (o200k) and shows signatures, not bodies`, async () => {
      repo = tempRepo(project());
      const counter = realTokenizer("o200k_base");
      const map = await buildRepoMap({
        repoRoot: repo.root,
        tokens: budget,
        counter,
        index: { env: repo.env },
      });
      expect(map.tokens).toBeLessThanOrEqual(budget);
      expect(map.tokens).toBeGreaterThanOrEqual(budget * 0.85);
      expect(counter.count(map.text)).toBe(map.tokens);
      expect(map.estimator).toBe("o200k_base");
      expect(map.text).not.toContain("return Service");
      expect(map.totalFiles).toBe(63);
      expect(map.shownFiles).toBe(map.files.length);
      for (const file of map.files) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it("ranks towards the task's identifiers and the focus files", async () => {
    repo = tempRepo(project());
    const counter = heuristicCounter();
    const plain = await buildRepoMap({ repoRoot: repo.root, tokens: 200, counter, index: { env: repo.env } });
    expect(plain.text).not.toContain("InvoiceRenderer");
    const byTask = await buildRepoMap({
      repoRoot: repo.root,
      tokens: 200,
      counter,
      task: "Make InvoiceRenderer.render_invoice print the currency",
      index: { env: repo.env },
    });
    expect(byTask.text.split("\n")[0]).toBe("pkg/billing.py:");
    expect(byTask.text).toContain("def render_invoice(self, invoice_id: int) -> str");
    const byFocus = await buildRepoMap({
      repoRoot: repo.root,
      tokens: 200,
      counter,
      focusFiles: ["pkg/module_42.py"],
      index: { env: repo.env },
    });
    expect(byFocus.text).toContain("class Service42");
    // The focus file's dependency comes right after it.
    expect(byFocus.text).toContain("class Service43");
  });

  it("shows everything when the repository is smaller than the budget", async () => {
    repo = tempRepo({ "a.py": "def only():\n    pass\n", "notes.txt": "hello\n" });
    const map = await buildRepoMap({ repoRoot: repo.root, tokens: 1000, index: { env: repo.env } });
    expect(map.text).toContain("a.py:\n  def only()");
    expect(map.text).toContain("notes.txt");
    expect(map.shownFiles).toBe(2);
    expect(map.estimator).toBe("heuristic");
  });
});
