/**
 * Python definitions by walking statements only, instead of running the tags query: a query
 * visits every node of the tree — expressions are most of them — and that cost ~1.5 s of the
 * ~8 s a cold index of the CPython standard library spends on one core. Definitions can only be
 * statements, and statements only live in blocks of other statements, so the walk never enters
 * an expression. It finds exactly what tag-queries.ts's Python patterns find (checked symbol for
 * symbol on the standard library):
 *
 * - `class` and `def` anywhere (also nested in functions, `if` blocks, decorators);
 * - `NAME = …` directly in the module: a constant; directly in a class body: a field.
 */
import type { Language, Node, TreeCursor } from "web-tree-sitter";
import type { SymbolKind } from "./types.js";

export interface PythonDefinition {
  kind: SymbolKind;
  name: string;
  node: Node;
  /** The tags pattern this stands for (class 0, def 1, constant 2, field 3): ties sort by it. */
  pattern: number;
}

const descendInto = [
  "decorated_definition",
  "if_statement",
  "elif_clause",
  "else_clause",
  "for_statement",
  "while_statement",
  "try_statement",
  "except_clause",
  "except_group_clause",
  "finally_clause",
  "with_statement",
  "match_statement",
  "case_clause",
  "ERROR",
];

interface TypeIds {
  module: number;
  classDefinition: number;
  functionDefinition: number;
  block: number;
  expressionStatement: number;
  assignment: number;
  identifier: number;
  compound: Set<number>;
}

const typeIdsByLanguage = new WeakMap<Language, TypeIds>();

function typeIds(language: Language): TypeIds {
  const known = typeIdsByLanguage.get(language);
  if (known) return known;
  const id = (type: string) => language.idForNodeType(type, true) ?? -1;
  const ids: TypeIds = {
    module: id("module"),
    classDefinition: id("class_definition"),
    functionDefinition: id("function_definition"),
    block: id("block"),
    expressionStatement: id("expression_statement"),
    assignment: id("assignment"),
    identifier: id("identifier"),
    compound: new Set(descendInto.map(id).filter((value) => value >= 0)),
  };
  typeIdsByLanguage.set(language, ids);
  return ids;
}

type Place = "module" | "class" | "other";

export function pythonDefinitions(root: Node, language: Language): PythonDefinition[] {
  const ids = typeIds(language);
  const out: PythonDefinition[] = [];
  const cursor = root.walk();

  const named = (node: Node, kind: SymbolKind, pattern: number) => {
    const name = node.childForFieldName("name");
    if (name && name.typeId === ids.identifier) out.push({ kind, name: name.text, node, pattern });
  };

  const assignmentIn = (statement: Node, kind: SymbolKind, pattern: number) => {
    for (const child of statement.namedChildren) {
      if (child?.typeId !== ids.assignment) continue;
      const left = child.childForFieldName("left");
      if (left && left.typeId === ids.identifier) out.push({ kind, name: left.text, node: child, pattern });
    }
  };

  /**
   * Visits the children of the cursor's node as statements standing in `place`. Blocks are
   * transparent (their statements stand where the block does); a class's block is the class body.
   */
  const children = (walker: TreeCursor, place: Place) => {
    if (!walker.gotoFirstChild()) return;
    do {
      const type = walker.nodeTypeId;
      if (type === ids.classDefinition) {
        named(walker.currentNode, "class", 0);
        children(walker, "class");
      } else if (type === ids.functionDefinition) {
        named(walker.currentNode, "function", 1);
        children(walker, "other");
      } else if (type === ids.expressionStatement) {
        if (place === "module") assignmentIn(walker.currentNode, "constant", 2);
        else if (place === "class") assignmentIn(walker.currentNode, "field", 3);
      } else if (type === ids.block) {
        children(walker, place);
      } else if (ids.compound.has(type)) {
        // Statements inside `if`/`try`/… blocks stand neither in the module nor in a class body.
        children(walker, "other");
      }
    } while (walker.gotoNextSibling());
    walker.gotoParent();
  };

  try {
    children(cursor, root.typeId === ids.module ? "module" : "other");
  } finally {
    cursor.delete();
  }
  return out;
}
