/**
 * Syntax: every edited file in a language we have a grammar for must still parse. Only parse
 * errors the draft introduces count (a file that was already broken is not the drafter's
 * fault), and they are errors: the draft goes straight back to the drafter.
 */
import { basename, extname } from "node:path";
import type { Node } from "web-tree-sitter";
import { Parser } from "web-tree-sitter";
import { parseAllDocuments } from "yaml";
import type { ChangedFile, CheckFinding } from "../pipeline/hooks.js";
import { type LanguageId, languageForPath } from "../repo/file-kinds.js";
import { initParser, loadGrammar } from "../repo/grammars.js";

interface ParseIssues {
  count: number;
  firstLine?: number;
  firstText?: string;
}

function collectIssues(node: Node, issues: ParseIssues): void {
  if (node.isError || node.isMissing) {
    issues.count++;
    if (issues.firstLine === undefined) {
      issues.firstLine = node.startPosition.row + 1;
      issues.firstText = node.isMissing ? `missing ${node.type}` : node.text.split("\n")[0]?.slice(0, 60);
    }
    if (node.isError) return; // the children of an error node are part of the same problem
  }
  if (!node.hasError && !node.isMissing) return;
  for (const child of node.children) if (child) collectIssues(child, issues);
}

async function parseIssues(parser: Parser, language: LanguageId, source: string): Promise<ParseIssues> {
  parser.setLanguage(await loadGrammar(language));
  const tree = parser.parse(source);
  const issues: ParseIssues = { count: 0 };
  if (tree) {
    collectIssues(tree.rootNode, issues);
    tree.delete();
  }
  return issues;
}

/** JSON files that allow comments (parsed by their tools as JSONC), so JSON.parse would be wrong. */
function isJsonc(file: string): boolean {
  const name = basename(file);
  return (
    /^(tsconfig|jsconfig)(\..*)?\.json$/.test(name) || file.includes(".vscode/") || name.endsWith(".jsonc")
  );
}

/** The data formats whose own parsers are cheap and exact: JSON and YAML. An error message, or null. */
function dataFormatError(file: string, text: string): { message: string; line?: number } | null {
  const extension = extname(file).toLowerCase();
  if (extension === ".json" && !isJsonc(file)) {
    try {
      JSON.parse(text);
      return null;
    } catch (error) {
      return { message: (error as Error).message };
    }
  }
  if (extension === ".yaml" || extension === ".yml") {
    const problem = parseAllDocuments(text)
      .flatMap((document) => ("errors" in document ? document.errors : []))
      .at(0);
    return problem
      ? {
          message: problem.message.split("\n")[0] ?? problem.message,
          ...(problem.linePos?.[0] ? { line: problem.linePos[0].line } : {}),
        }
      : null;
  }
  return null;
}

function checkDataFormats(changes: ChangedFile[]): CheckFinding[] {
  const findings: CheckFinding[] = [];
  for (const change of changes) {
    if (change.after === null) continue;
    const after = dataFormatError(change.file, change.after);
    if (!after) continue;
    if (change.before !== null && dataFormatError(change.file, change.before)) continue;
    findings.push({
      check: "syntax",
      severity: "error",
      file: change.file,
      ...(after.line === undefined ? {} : { line: after.line }),
      message: `the edited file is no longer valid ${extname(change.file).slice(1).toUpperCase()}: ${after.message}`,
    });
  }
  return findings;
}

export async function checkSyntax(changes: ChangedFile[]): Promise<CheckFinding[]> {
  const dataFindings = checkDataFormats(changes);
  const relevant = changes.filter(
    (change): change is ChangedFile & { after: string } =>
      change.after !== null && languageForPath(change.file) !== null,
  );
  if (relevant.length === 0) return dataFindings;
  const findings: CheckFinding[] = [...dataFindings];
  await initParser(); // the wasm runtime must be ready before constructing a Parser
  const parser = new Parser();
  try {
    for (const change of relevant) {
      const language = languageForPath(change.file) as LanguageId;
      const after = await parseIssues(parser, language, change.after);
      if (after.count === 0) continue;
      const before =
        change.before === null ? { count: 0 } : await parseIssues(parser, language, change.before);
      if (after.count <= before.count) continue;
      findings.push({
        check: "syntax",
        severity: "error",
        file: change.file,
        ...(after.firstLine === undefined ? {} : { line: after.firstLine }),
        message: `the edited file no longer parses as ${language}${after.firstLine === undefined ? "" : ` (first problem at line ${after.firstLine}${after.firstText ? `: ${after.firstText}` : ""})`}`,
      });
    }
  } finally {
    parser.delete();
  }
  return findings;
}
