/** Prints the syntax errors tree-sitter reports in a file (diagnostics for the benchmark). */
import { readFileSync } from "node:fs";
import { Parser } from "web-tree-sitter";
import { languageForPath } from "../src/repo/file-kinds.js";
import { loadGrammar } from "../src/repo/grammars.js";

const file = process.argv[2];
if (!file) throw new Error("usage: index-errors <file>");
const language = languageForPath(file);
if (!language) throw new Error(`not a parsed language: ${file}`);
const grammar = await loadGrammar(language);
const parser = new Parser();
parser.setLanguage(grammar);
const tree = parser.parse(readFileSync(file, "utf8"));
const visit = (node: import("web-tree-sitter").Node, depth: number) => {
  if (node.type === "ERROR" || node.isMissing) {
    console.log(
      `${node.startPosition.row + 1}-${node.endPosition.row + 1} ${node.isMissing ? "MISSING" : "ERROR"} ${node.text.slice(0, 80).replace(/\n/g, "⏎")}`,
    );
    if (depth > 3) return;
  }
  for (const child of node.children) if (child) visit(child, depth + 1);
};
if (tree) visit(tree.rootNode, 0);
