/**
 * Where a cold index spends its time (diagnostics): every stage of parsing one dataset, timed
 * separately on the main thread. index-profile <root> [options-json]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Parser, Query } from "web-tree-sitter";
import { symbolsFromDefinitions } from "../src/repo/extract.js";
import { looksBinary, prepareSource, refineLanguage } from "../src/repo/file-kinds.js";
import { loadGrammar } from "../src/repo/grammars.js";
import { sha256Hex } from "../src/repo/parse-file.js";
import { pythonDefinitions } from "../src/repo/python-definitions.js";
import { identifierReferences } from "../src/repo/references.js";
import { tagQueries } from "../src/repo/tag-queries.js";
import { walkRepo } from "../src/repo/walk.js";

const [root, optionsJson] = process.argv.slice(2);
if (!root) throw new Error("usage: index-profile <root> [options-json]");
const spans = new Map<string, number>();
const time = <T>(name: string, run: () => T): T => {
  const started = performance.now();
  const result = run();
  spans.set(name, (spans.get(name) ?? 0) + performance.now() - started);
  return result;
};
const walked = time("walk", () => walkRepo(root, optionsJson ? JSON.parse(optionsJson) : {}));
const parsers = new Map<string, { parser: Parser; query: Query }>();
let bytes = 0;
let files = 0;
for (const file of walked.files) {
  if (!file.language) continue;
  const raw = time("read", () => readFileSync(join(root, file.path)));
  if (looksBinary(raw.subarray(0, 8192))) continue;
  bytes += raw.length;
  files++;
  time("hash", () => sha256Hex(raw));
  const text = time("decode", () => raw.toString("utf8"));
  const language = refineLanguage(file.path, file.language, text);
  let loaded = parsers.get(language);
  if (!loaded) {
    const started = performance.now();
    const grammar = await loadGrammar(language);
    const parser = new Parser();
    parser.setLanguage(grammar);
    loaded = { parser, query: new Query(grammar, tagQueries[language]) };
    parsers.set(language, loaded);
    spans.set("grammar load", (spans.get("grammar load") ?? 0) + performance.now() - started);
  }
  const { parser, query } = loaded;
  const source = time("prepare", () => prepareSource(language, text));
  const tree = time("parse", () => parser.parse(source));
  if (!tree) continue;
  if (language === "python") {
    // Python definitions come from a statement walk, not the query (python-definitions.ts).
    const walked = time("python walk", () => pythonDefinitions(tree.rootNode, parser.language!));
    time("signatures", () =>
      symbolsFromDefinitions(
        source,
        walked.map((definition) => ({
          ...definition,
          explicitContainer: null,
          alias: null,
          start: definition.node.startIndex,
          end: definition.node.endIndex,
        })),
      ),
    );
    time("references", () => identifierReferences(source, new Set(), language));
    time("tree delete", () => tree.delete());
    continue;
  }
  // C/C++ function declarators are resolved in extract.ts (c-functions.ts); not timed here.
  const matches = time("query", () => query.matches(tree.rootNode));
  time("signatures", () => {
    // The same work as extract.ts collectDefinitions + symbolsFromDefinitions, minus the query.
    const raw = matches
      .map((match) => {
        const definition = match.captures.find((capture) => capture.name.startsWith("definition."));
        const name = match.captures.find((capture) => capture.name === "name");
        if (!definition || !name) return null;
        return {
          kind: definition.name.slice(11),
          name: name.node.text,
          explicitContainer: null,
          alias: null,
          node: definition.node,
          start: definition.node.startIndex,
          end: definition.node.endIndex,
          pattern: match.patternIndex,
        };
      })
      .filter((value) => value !== null);
    return symbolsFromDefinitions(source, raw as never);
  });
  time("references", () => identifierReferences(source, new Set(), language));
  time("tree delete", () => tree.delete());
}
const total = [...spans.values()].reduce((sum, value) => sum + value, 0);
console.log(`${files} files, ${(bytes / 1e6).toFixed(1)} MB, ${(total / 1000).toFixed(2)} s on one thread`);
for (const [name, ms] of [...spans].sort((a, b) => b[1] - a[1]))
  console.log(
    `${name.padEnd(14)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${((100 * ms) / total).toFixed(0).padStart(3)}%  ${name === "parse" ? `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s` : ""}`,
  );
