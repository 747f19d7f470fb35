/**
 * One measured index run in its own process (so peak RSS is this run's alone): prints JSON with
 * wall time, parse counts and every symbol, for bench/index.ts to compare with ctags.
 */
import { writeFileSync } from "node:fs";
import { indexRepo } from "../src/repo/indexer.js";

const [root, optionsJson, outFile] = process.argv.slice(2);
if (!root || !optionsJson) throw new Error("usage: index-run <root> <options-json> [symbols-out]");
const options = JSON.parse(optionsJson) as {
  exclude?: string[];
  includeVendored?: boolean;
  workers?: number;
};
const started = performance.now();
const result = await indexRepo(root, options);
const wallMs = performance.now() - started;
if (outFile) {
  const rows = result.files.flatMap((file) =>
    file.symbols.map((symbol) => [
      file.path,
      symbol.name,
      symbol.kind,
      symbol.container,
      symbol.line,
      symbol.endLine,
    ]),
  );
  writeFileSync(outFile, JSON.stringify({ files: result.files.map((file) => file.path), rows }));
}
console.log(
  JSON.stringify({
    wallMs,
    parsed: result.parsed,
    reused: result.reused,
    workers: result.workers,
    timings: result.timings,
    files: result.files.length,
    sourceFiles: result.files.filter((file) => file.language).length,
    symbols: result.files.reduce((sum, file) => sum + file.symbols.length, 0),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
