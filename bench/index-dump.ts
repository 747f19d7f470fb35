/** Prints the symbols the index extracts from one file (diagnostics for the benchmark). */
import { resolve } from "node:path";
import { languageForPath } from "../src/repo/file-kinds.js";
import { parseFile } from "../src/repo/parse-file.js";

const [file, from, to] = process.argv.slice(2);
if (!file) throw new Error("usage: index-dump <file> [fromLine] [toLine]");
const language = languageForPath(file);
if (!language) throw new Error(`not a parsed language: ${file}`);
const outcome = await parseFile({ path: file, absolute: resolve(file), language });
if (!outcome.ok) throw new Error(`cannot parse ${file}: ${outcome.status}`);
for (const symbol of outcome.extraction.symbols) {
  if (from && symbol.endLine < Number(from)) continue;
  if (to && symbol.line > Number(to)) continue;
  console.log(
    `${symbol.line}-${symbol.endLine} ${symbol.kind} ${symbol.container ?? "-"} ${symbol.name} | ${symbol.signature}`,
  );
}
