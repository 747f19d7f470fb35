/** Writing config files: atomic, with a header comment, preserving unrelated keys on edits. */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Document, isAlias, type Node, parseDocument, stringify, visit } from "yaml";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";

/**
 * The JSON Schema editors use (yaml-language-server `$schema` comment): the copy installed with
 * this hierocode (`schema/hierocode.schema.json`, written by the build), as a file URL — the package
 * is not on the npm registry, so no registry CDN URL would resolve.
 */
export function schemaUrl(): string {
  return new URL("../../schema/hierocode.schema.json", import.meta.url).href;
}

/**
 * The config as YAML text: a header comment, the `$schema` line, then the value. Never anchors or
 * aliases (`&a1` / `*a1`), even when two keys hold the same object: every role is written out in
 * full, so editing one never changes another.
 */
export function renderConfigYaml(value: Record<string, unknown>, header?: string): string {
  const body = stringify(value, { indent: 2, lineWidth: 0, aliasDuplicateObjects: false });
  const top = `# yaml-language-server: $schema=${schemaUrl()}\n`;
  return `${header ? `${header.replace(/^/gm, "# ")}\n` : ""}${top}${body}`;
}

export function writeConfigFile(file: string, value: Record<string, unknown>, header?: string): void {
  writeFileAtomic(file, renderConfigYaml(value, header), { mode: 0o600 });
}

/**
 * Replaces every alias (`*a1`) by a copy of the node it refers to and drops every anchor (`&a1`),
 * so that setting one key changes exactly that key. Comments elsewhere are kept.
 */
export function expandAliases(document: Document): void {
  visit(document, {
    Alias(_key, node) {
      const target = node.resolve(document);
      if (!target) return undefined;
      return target.clone() as Node;
    },
  });
  visit(document, {
    Node(_key, node) {
      if (!isAlias(node) && node.anchor) node.anchor = undefined;
    },
  });
}

/** Parses a config file for editing: YAML errors refused, aliases expanded (see expandAliases). */
export function editableConfigDocument(file: string): Document {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigError(
      `${file}: invalid YAML, not changed (${document.errors[0]?.message.split("\n")[0]})`,
      [],
      { hint: `fix the YAML in ${file} (hierocode config validate shows where), then run it again` },
    );
  }
  if (document.contents === null) document.contents = document.createNode({}) as never;
  expandAliases(document);
  return document;
}

/**
 * Sets dot-paths in an existing YAML file in one atomic write, keeping comments and other keys.
 * Anchors and aliases are expanded first, so only the named keys change. Used by `models set`.
 */
export function setConfigValues(file: string, values: Array<[dotPath: string, value: unknown]>): void {
  const document = editableConfigDocument(file);
  for (const [dotPath, value] of values) document.setIn(dotPath.split("."), value);
  writeFileAtomic(file, document.toString({ indent: 2, lineWidth: 0 }));
}

/** Sets one dot-path (see setConfigValues). */
export function setConfigValue(file: string, dotPath: string, value: unknown): void {
  setConfigValues(file, [[dotPath, value]]);
}

/** The file path of `schemaUrl()` (for tests and `config path`). */
export function schemaFile(): string {
  return fileURLToPath(schemaUrl());
}

/** Removes one dot-path from an existing YAML file (comments and other keys kept), atomically. */
export function deleteConfigValue(file: string, dotPath: string): void {
  const document = editableConfigDocument(file);
  document.deleteIn(dotPath.split("."));
  writeFileAtomic(file, document.toString({ indent: 2, lineWidth: 0 }));
}
