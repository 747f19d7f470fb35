/**
 * Symbols and references of one source file: runs the language's tags query over the syntax
 * tree, nests the definitions by their byte ranges to find containers, and cuts each
 * definition's header (everything before its body) into a one-line signature.
 */
import { type Language, type Node, Parser, Query } from "web-tree-sitter";
import { resolveFunctionDeclarator } from "./c-functions.js";
import type { LanguageId } from "./file-kinds.js";
import { loadGrammar } from "./grammars.js";
import { pythonDefinitions } from "./python-definitions.js";
import { identifierReferences } from "./references.js";
import { tagQueries } from "./tag-queries.js";
import { type Extraction, type RepoSymbol, type SymbolKind, typeLikeKinds } from "./types.js";

interface Loaded {
  parser: Parser;
  query: Query;
}

const loaded = new Map<LanguageId, Promise<Loaded>>();

function load(language: LanguageId): Promise<Loaded> {
  let pending = loaded.get(language);
  if (!pending) {
    pending = loadGrammar(language).then((grammar: Language) => {
      const parser = new Parser();
      parser.setLanguage(grammar);
      return { parser, query: new Query(grammar, tagQueries[language]) };
    });
    loaded.set(language, pending);
  }
  return pending;
}

interface RawDefinition {
  kind: SymbolKind | "scope";
  name: string;
  explicitContainer: string | null;
  alias: string | null;
  node: Node;
  start: number;
  end: number;
  pattern: number;
}

const maxSignatureLength = 200;

function bodyStart(node: Node): number | null {
  const body = node.childForFieldName("body");
  if (body) return body.startIndex;
  // `const f = (a) => { … }`: the body belongs to the declarator's value.
  if (node.type === "lexical_declaration" || node.type === "variable_declarator") {
    const declarator = node.type === "variable_declarator" ? node : node.namedChild(0);
    const valueBody = declarator?.childForFieldName("value")?.childForFieldName("body");
    if (valueBody) return valueBody.startIndex;
  }
  return null;
}

export function signatureOf(source: string, node: Node): string {
  let lineStart = source.lastIndexOf("\n", node.startIndex - 1) + 1;
  // Keep `export`/`pub`/`static` before the node, but not another declaration sharing the line.
  if (/[{(;,=]/.test(source.slice(lineStart, node.startIndex))) lineStart = node.startIndex;
  const cut = bodyStart(node);
  let header = source.slice(lineStart, cut ?? Math.min(node.endIndex, lineStart + 2000));
  if (cut === null) {
    const newline = header.indexOf("\n");
    if (newline >= 0) header = header.slice(0, newline);
  }
  // Comments between the header and the body (Python puts them before the block) are not signature.
  header = header
    .split("\n")
    .map((line) => line.replace(/\s(#|\/\/).*$/, ""))
    .join("\n");
  header = header.replace(/\s+/g, " ").trim();
  header = header.replace(/\s*[{:]$/, "").replace(/\s*(=>|=)$/, "");
  if (header.length > maxSignatureLength) header = `${header.slice(0, maxSignatureLength - 1)}…`;
  return header;
}

function collectDefinitions(query: Query, root: Node, language: LanguageId): RawDefinition[] {
  const byNode = new Map<string, RawDefinition>();
  for (const match of query.matches(root)) {
    let definition: Node | null = null;
    let kind: SymbolKind | "scope" | null = null;
    let name: string | null = null;
    let container: string | null = null;
    let alias: string | null = null;
    for (const capture of match.captures) {
      if (capture.name === "name") name = capture.node.text;
      else if (capture.name === "alias") alias = capture.node.text;
      else if (capture.name === "container") container = capture.node.text;
      else if (capture.name === "scope") {
        definition = capture.node;
        kind = "scope";
      } else if (capture.name === "function_declarator") {
        const resolved = resolveFunctionDeclarator(capture.node, language === "cpp");
        if (resolved) {
          definition = resolved.definition;
          kind = resolved.kind;
          container = resolved.container;
        }
        name = resolved?.name ?? null;
        break;
      } else if (capture.name.startsWith("definition.")) {
        definition = capture.node;
        kind = capture.name.slice("definition.".length) as SymbolKind;
      }
    }
    if (!definition || !kind || !name) continue;
    const key = `${definition.startIndex}:${definition.endIndex}:${definition.typeId}`;
    const existing = byNode.get(key);
    if (existing && existing.pattern <= match.patternIndex) continue;
    byNode.set(key, {
      kind,
      name,
      explicitContainer: container,
      alias,
      node: definition,
      start: definition.startIndex,
      end: definition.endIndex,
      pattern: match.patternIndex,
    });
  }
  return [...byNode.values()].sort((a, b) => a.start - b.start || b.end - a.end || a.pattern - b.pattern);
}

const nonContainers = new Set(["field", "property", "constant", "variable", "macro"]);

export function symbolsFromDefinitions(source: string, definitions: RawDefinition[]): RepoSymbol[] {
  const symbols: RepoSymbol[] = [];
  const stack: Array<{ definition: RawDefinition; path: string; containerPath: string | null }> = [];
  for (const definition of definitions) {
    while (stack.length > 0 && stack[stack.length - 1]!.definition.end <= definition.start) stack.pop();
    const parent = stack[stack.length - 1];
    // `typedef struct node {…} node_t;`: the struct is a sibling of the typedef, not inside it.
    const transparent = parent?.definition.kind === "type" && typeLikeKinds.has(definition.kind);
    const enclosing = transparent ? parent.containerPath : (parent?.path ?? null);
    const containerPath = definition.explicitContainer
      ? enclosing
        ? `${enclosing}.${definition.explicitContainer}`
        : definition.explicitContainer
      : enclosing;
    const insideType =
      Boolean(definition.explicitContainer) || (parent ? typeLikeKinds.has(parent.definition.kind) : false);
    // Members of anonymous classes and object literals inside a function body are locals, not API.
    const localMember =
      parent !== undefined &&
      !transparent &&
      !definition.explicitContainer &&
      (parent.definition.kind === "function" || parent.definition.kind === "method") &&
      (definition.kind === "method" || definition.kind === "field" || definition.kind === "property");
    if (definition.kind !== "scope" && !localMember) {
      let kind = definition.kind;
      if (kind === "function" && insideType) kind = "method";
      else if (kind === "method" && !insideType && !containerPath) kind = "function";
      const symbol = {
        name: definition.name,
        kind,
        container: containerPath,
        signature: signatureOf(source, definition.node),
        line: definition.node.startPosition.row + 1,
        endLine: endLineOf(definition.node),
      };
      symbols.push(symbol);
      if (definition.alias && definition.alias !== definition.name)
        symbols.push({ ...symbol, name: definition.alias });
    }
    if (!nonContainers.has(definition.kind)) {
      const own = containerPath ? `${containerPath}.${definition.name}` : definition.name;
      stack.push({ definition, path: own, containerPath });
    }
  }
  return symbols;
}

/** A node that swallows its trailing newline (`#define`) ends on the line before. */
function endLineOf(node: Node): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row : end.row + 1;
}

/** What the tags query alone finds (for tests comparing it with the Python statement walk). */
export async function queryDefinitions(
  language: LanguageId,
  source: string,
): Promise<Array<{ kind: string; name: string; start: number; end: number }>> {
  const { parser, query } = await load(language);
  const tree = parser.parse(source);
  if (!tree) return [];
  try {
    return collectDefinitions(query, tree.rootNode, language).map(({ kind, name, start, end }) => ({
      kind,
      name,
      start,
      end,
    }));
  } finally {
    tree.delete();
  }
}

export async function extractSymbols(language: LanguageId, source: string): Promise<Extraction> {
  const { parser, query } = await load(language);
  const tree = parser.parse(source);
  if (!tree)
    return { symbols: [], references: identifierReferences(source, new Set()), lines: countLines(source) };
  try {
    const definitions =
      language === "python" && parser.language
        ? pythonDefinitions(tree.rootNode, parser.language).map(
            (definition): RawDefinition => ({
              ...definition,
              explicitContainer: null,
              alias: null,
              start: definition.node.startIndex,
              end: definition.node.endIndex,
            }),
          )
        : collectDefinitions(query, tree.rootNode, language);
    const symbols = symbolsFromDefinitions(source, definitions);
    const defined = new Set(symbols.map((symbol) => symbol.name));
    return {
      symbols,
      references: identifierReferences(source, defined, language),
      lines: countLines(source),
    };
  } finally {
    tree.delete();
  }
}

function countLines(source: string): number {
  if (source.length === 0) return 0;
  let lines = 1;
  let index = source.indexOf("\n");
  while (index >= 0) {
    lines++;
    index = source.indexOf("\n", index + 1);
  }
  return source.endsWith("\n") ? lines - 1 : lines;
}
