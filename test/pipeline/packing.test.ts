import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoPacker } from "../../src/app/run.js";
import { profileFromCapacity } from "../../src/pipeline/capacity.js";
import { chooseFormat, packDraftInput, packWithPacker } from "../../src/pipeline/draft.js";
import { charsPerTokenCounter } from "../../src/pipeline/repo-fallback.js";
import { unit } from "./support/harness.js";

const GiB = 1024 ** 3;
const memory = { totalRamBytes: 64 * GiB, vramBytes: 0 };
const big = Array.from(
  { length: 250 },
  (_, index) =>
    `export function fn${index}(x: number): number {\n  const y = x * ${index};\n  return y + ${index};\n}\n`,
).join("\n");
const small = "export const one = 1;\n";

function reader(files: Record<string, string>) {
  return (path: string) => files[path] ?? null;
}

describe("edit format and packing", () => {
  const standard = profileFromCapacity(
    { model: "m", parameterSize: "7B", contextLength: 16384 },
    { provider: "o", local: true, memory },
  );
  const micro = profileFromCapacity(
    { model: "m", parameterSize: "1B", contextLength: 16384 },
    { provider: "o", local: true, memory },
  );

  it("rewrites new and small files whole, edits large ones with SEARCH/REPLACE, micro models always whole", () => {
    expect(chooseFormat(null, standard, charsPerTokenCounter)).toBe("whole-file");
    expect(chooseFormat(small, standard, charsPerTokenCounter)).toBe("whole-file");
    expect(chooseFormat(big, standard, charsPerTokenCounter)).toBe("search-replace");
    expect(chooseFormat(big, micro, charsPerTokenCounter)).toBe("whole-file");
  });

  it("never truncates a target with the basic packer: too big is reported, context is dropped with a note", () => {
    const tiny = profileFromCapacity(
      { model: "m", parameterSize: "7B", contextLength: 4096 },
      { provider: "o", local: true, memory },
    );
    const files = { "big.ts": big, "ctx.ts": big, "small.ts": small };
    const tooBig = packDraftInput(unit("u", ["big.ts"]), tiny, charsPerTokenCounter, reader(files), 100);
    expect(tooBig.fits).toBe(false);
    expect(tooBig.reason).toMatch(/target files need ~\d+ tokens/);
    const withContext = packDraftInput(
      unit("u", ["small.ts"], { context_files: ["ctx.ts"] }),
      tiny,
      charsPerTokenCounter,
      reader(files),
      100,
    );
    expect(withContext.fits).toBe(true);
    expect(withContext.contextBlocks).toEqual([]);
    expect(withContext.notes.join()).toMatch(/context file ctx.ts left out/);
  });

  it("with the repository packer, a large target is cut to the named symbol and edited by SEARCH/REPLACE", async () => {
    const root = mkdtempSync(join(tmpdir(), "pack-"));
    writeFileSync(join(root, "big.ts"), big);
    const tiny = profileFromCapacity(
      { model: "m", parameterSize: "7B", contextLength: 4096 },
      { provider: "o", local: true, memory },
    );
    const packed = await packWithPacker(
      repoPacker(root),
      unit("u", ["big.ts"], { goal: "make fn42 return y - 42" }),
      tiny,
      charsPerTokenCounter,
      reader({ "big.ts": big }),
      200,
    );
    expect(packed.fits).toBe(true);
    expect(packed.formats.get("big.ts")).toBe("search-replace");
    expect(packed.fileBlocks.join("\n")).toContain("const y = x * 42;");
    expect(packed.notes.join()).toMatch(/big.ts is shown in part/);
    expect(packed.usedTokens).toBeLessThanOrEqual(tiny.maxInputTokens - 200);
  });
});
