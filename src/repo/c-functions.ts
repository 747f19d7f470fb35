/**
 * What a C or C++ function declarator declares, decided in JS from the nodes around it instead
 * of nine alternation-heavy query patterns (their compilation dominated C++ start-up). The rules,
 * first match wins, are those the patterns encoded:
 *
 * - the declarator sits in `function_definition`, `declaration` or `field_declaration`, directly
 *   or under one or two pointer declarators (C++ also: one reference declarator);
 * - C++ `A::f` / `A::~A` / `A::operator=` / `A::f<T>` definitions are methods of `A`;
 * - definitions named by an identifier, field identifier, destructor or operator are functions;
 * - C++ member declarations (`field_declaration`, or a `declaration` in a class body) are methods;
 * - destructor/operator declarations and declarations inside `template <…>` are functions;
 * - other prototypes (identifier, no reference) are functions only at file/namespace/#if level,
 *   never inside a function body.
 */
import type { Node } from "web-tree-sitter";
import type { SymbolKind } from "./types.js";

/** Where a prototype is an API declaration (not a local declaration inside a function body). */
const prototypeParents: ReadonlySet<string> = new Set([
  "translation_unit",
  "preproc_ifdef",
  "preproc_if",
  "preproc_else",
  "preproc_elif",
  "declaration_list",
]);

const memberNames = new Set(["field_identifier", "destructor_name", "operator_name"]);
const qualifiedNames = new Set(["identifier", "destructor_name", "operator_name"]);

export interface ResolvedFunction {
  definition: Node;
  kind: SymbolKind;
  name: string;
  container: string | null;
}

export function resolveFunctionDeclarator(declarator: Node, cpp: boolean): ResolvedFunction | null {
  const named = declarator.childForFieldName("declarator");
  if (!named) return null;
  // Climb pointer (and, in C++, reference) declarators to the declaring node.
  let node = declarator;
  let wrapping = "";
  let outer = node.parent;
  while (outer && (outer.type === "pointer_declarator" || outer.type === "reference_declarator")) {
    wrapping += outer.type === "pointer_declarator" ? "p" : "r";
    node = outer;
    outer = node.parent;
  }
  if (!outer) return null;
  const plain = wrapping === "" || wrapping === "p" || wrapping === "pp";
  if (!(plain || (cpp && wrapping === "r"))) return null;
  const name = named.type;
  const found = (kind: SymbolKind, text: string, container: string | null = null): ResolvedFunction => ({
    definition: outer,
    kind,
    name: text,
    container,
  });

  if (outer.type === "function_definition") {
    if (cpp && name === "qualified_identifier") {
      const scope = named.childForFieldName("scope");
      const member = named.childForFieldName("name");
      if (!scope || !member) return null;
      if (qualifiedNames.has(member.type)) return found("method", member.text, scope.text);
      if (member.type === "template_function") {
        const inner = member.childForFieldName("name");
        if (inner?.type === "identifier") return found("method", inner.text, scope.text);
      }
      return null;
    }
    if (cpp && memberNames.has(name)) return found("function", named.text);
    if (name === "identifier") return found("function", named.text);
    return null;
  }
  if (outer.type === "field_declaration") {
    return cpp && memberNames.has(name) ? found("method", named.text) : null;
  }
  if (outer.type === "declaration") {
    const parent = outer.parent?.type ?? "";
    if (cpp) {
      if (name === "destructor_name" || name === "operator_name") return found("function", named.text);
      if (name === "identifier" && parent === "field_declaration_list") return found("method", named.text);
      if ((name === "identifier" || name === "field_identifier") && parent === "template_declaration")
        return found("function", named.text);
    }
    if (name === "identifier" && plain && prototypeParents.has(parent)) return found("function", named.text);
  }
  return null;
}
