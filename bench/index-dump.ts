/** Prints the symbols the index extracts from one file (diagnostics for the benchmark). */
import { readFileSync } from "node:fs";
import { extractSymbols } from "../src/repo/extract.js";
import { languageForPath } from "../src/repo/file-kinds.js";

const [file, from, to] = process.argv.slice(2);
if (!file) throw new Error("usage: index-dump <file> [fromLine] [toLine]");
const language = languageForPath(file);
if (!language) throw new Error(`not a parsed language: ${file}`);
const { symbols } = await extractSymbols(language, readFileSync(file, "utf8"));
for (const symbol of symbols) {
  if (from && symbol.endLine < Number(from)) continue;
  if (to && symbol.line > Number(to)) continue;
  console.log(
    `${symbol.line}-${symbol.endLine} ${symbol.kind} ${symbol.container ?? "-"} ${symbol.name} | ${symbol.signature}`,
  );
}
