/**
 * Tags queries per language, in the spirit of the grammars' own `tags.scm`: each pattern captures
 * a definition node as `@definition.<kind>` and its name as `@name`. Two extra captures: `@scope`
 * marks a node that encloses definitions without being one (a Rust `impl`), and `@container`
 * names the enclosing type when it is written outside the body (Go receivers, C++ `A::f`), and
 * `@alias` is a second name of the same definition (`var Tree = class _Tree {…}`).
 * When several patterns match one node, the earliest pattern wins, so specific patterns come
 * before general ones.
 */
import type { LanguageId } from "./file-kinds.js";

const typescriptCommon = `
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(class_declaration name: (_) @name) @definition.class
(method_definition name: (_) @name) @definition.method
(variable_declarator name: (identifier) @name value: (class name: (_)? @alias)) @definition.class
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression) (generator_function)]) @definition.function
(assignment_expression
  left: (member_expression
    object: (member_expression object: (identifier) @container property: (property_identifier) @_prototype)
    property: (property_identifier) @name)
  right: [(function_expression) (arrow_function)]
  (#eq? @_prototype "prototype")) @definition.method
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(program (export_statement declaration: (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant)))
`;

const typescript = `
${typescriptCommon}
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(method_signature name: (_) @name) @definition.method
(abstract_method_signature name: (_) @name) @definition.method
(function_signature name: (identifier) @name) @definition.function
(public_field_definition name: (_) @name) @definition.field
(property_signature name: (_) @name) @definition.property
(internal_module name: (_) @name) @definition.module
(module name: (_) @name) @definition.module
`;

const javascript = `
${typescriptCommon}
(field_definition property: (_) @name) @definition.field
`;

const python = `
(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function
(module (expression_statement (assignment left: (identifier) @name) @definition.constant))
(class_definition body: (block (expression_statement (assignment left: (identifier) @name) @definition.field)))
`;

const go = `
(function_declaration name: (identifier) @name) @definition.function
(method_declaration
  receiver: (parameter_list (parameter_declaration type: [
    (type_identifier) @container
    (pointer_type (type_identifier) @container)
    (generic_type type: (type_identifier) @container)
    (pointer_type (generic_type type: (type_identifier) @container))]))
  name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
(method_elem name: (field_identifier) @name) @definition.method
(field_declaration name: (field_identifier) @name) @definition.field
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))
`;

const rust = `
(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(type_item name: (type_identifier) @name) @definition.type
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(mod_item name: (identifier) @name) @definition.module
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant
(macro_definition name: (identifier) @name) @definition.macro
(field_declaration name: (field_identifier) @name) @definition.field
(impl_item type: [
  (type_identifier) @name
  (generic_type type: (type_identifier) @name)
  (scoped_type_identifier name: (type_identifier) @name)]) @scope
`;

const cFunctionDeclarator = (name: string) => `[
  (function_declarator declarator: ${name})
  (pointer_declarator declarator: (function_declarator declarator: ${name}))
  (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: ${name})))]`;

/** C++ adds references (\`T& f()\`) to the declarators a function name can hide in. */
const cppFunctionDeclarator = (name: string) => `[
  (function_declarator declarator: ${name})
  (pointer_declarator declarator: (function_declarator declarator: ${name}))
  (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: ${name})))
  (reference_declarator (function_declarator declarator: ${name}))]`;

/**
 * Where a prototype is an API declaration (not a local declaration inside a function body).
 * Checked in JS on `@definition.prototype` matches: one pattern per parent cost ~30 ms each to
 * compile against the C++ grammar, in every thread.
 */
export const prototypeParents: ReadonlySet<string> = new Set([
  "translation_unit",
  "preproc_ifdef",
  "preproc_if",
  "preproc_else",
  "preproc_elif",
  "declaration_list",
]);

const cCommon = `
(function_definition declarator: ${cFunctionDeclarator("(identifier) @name")}) @definition.function
(declaration declarator: ${cFunctionDeclarator("(identifier) @name")}) @definition.prototype
(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.macro
(field_declaration declarator: [(field_identifier) @name (pointer_declarator declarator: (field_identifier) @name) (array_declarator declarator: (field_identifier) @name)]) @definition.field
`;

const cpp = `
(function_definition declarator: ${cppFunctionDeclarator("(qualified_identifier scope: (_) @container name: [(identifier) (destructor_name) (operator_name)] @name)")}) @definition.method
(function_definition declarator: ${cppFunctionDeclarator("(qualified_identifier scope: (_) @container name: (template_function name: (identifier) @name))")}) @definition.method
(function_definition declarator: ${cppFunctionDeclarator("[(field_identifier) (destructor_name) (operator_name)] @name")}) @definition.function
(field_declaration declarator: ${cppFunctionDeclarator("[(field_identifier) (destructor_name) (operator_name)] @name")}) @definition.method
(declaration declarator: ${cppFunctionDeclarator("[(destructor_name) (operator_name)] @name")}) @definition.function
(field_declaration_list (declaration declarator: ${cppFunctionDeclarator("(identifier) @name")}) @definition.method)
(template_declaration (declaration declarator: ${cppFunctionDeclarator("[(identifier) (field_identifier)] @name")}) @definition.function)
${cCommon}
(class_specifier name: (type_identifier) @name body: (_)) @definition.class
(class_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.class
(struct_specifier name: (template_type name: (type_identifier) @name) body: (_)) @definition.struct
(function_definition declarator: ${cppFunctionDeclarator("(identifier) @name")}) @definition.function
(namespace_definition name: (_) @name) @definition.module
(alias_declaration name: (type_identifier) @name) @definition.type
(concept_definition name: (identifier) @name) @definition.type
`;

const java = `
(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.interface
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
`;

const csharp = `
(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(struct_declaration name: (identifier) @name) @definition.struct
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(property_declaration name: (identifier) @name) @definition.property
(namespace_declaration name: (_) @name) @definition.module
(file_scoped_namespace_declaration name: (_) @name) @definition.module
(delegate_declaration name: (identifier) @name) @definition.type
(field_declaration (variable_declaration (variable_declarator name: (identifier) @name))) @definition.field
`;

const ruby = `
(class name: [(constant) (scope_resolution)] @name) @definition.class
(module name: [(constant) (scope_resolution)] @name) @definition.module
(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(assignment left: (constant) @name) @definition.constant
`;

const php = `
(class_declaration name: (name) @name) @definition.class
(interface_declaration name: (name) @name) @definition.interface
(trait_declaration name: (name) @name) @definition.trait
(enum_declaration name: (name) @name) @definition.enum
(function_definition name: (name) @name) @definition.function
(method_declaration name: (name) @name) @definition.method
(namespace_definition name: (namespace_name) @name) @definition.module
(const_declaration (const_element (name) @name)) @definition.constant
(property_declaration (property_element (variable_name (name) @name))) @definition.property
`;

export const tagQueries: Record<LanguageId, string> = {
  typescript,
  tsx: typescript,
  javascript,
  python,
  go,
  rust,
  java,
  c: cCommon,
  cpp,
  csharp,
  ruby,
  php,
};
