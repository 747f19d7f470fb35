/** Writing config files: atomic, with a header comment, preserving unrelated keys on edits. */
import { existsSync, readFileSync } from "node:fs";
import { parseDocument, stringify } from "yaml";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";

export function renderConfigYaml(value: Record<string, unknown>, header?: string): string {
  const body = stringify(value, { indent: 2, lineWidth: 0 });
  const top = "# yaml-language-server: $schema=https://unpkg.com/hierocode/schema/hierocode.schema.json\n";
  return `${header ? `${header.replace(/^/gm, "# ")}\n` : ""}${top}${body}`;
}

export function writeConfigFile(file: string, value: Record<string, unknown>, header?: string): void {
  writeFileAtomic(file, renderConfigYaml(value, header), { mode: 0o600 });
}

/**
 * Sets one dot-path in an existing YAML file, keeping comments and other keys, atomically.
 * Used by `models set`.
 */
export function setConfigValue(file: string, dotPath: string, value: unknown): void {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigError(
      `${file}: invalid YAML, not changed (${document.errors[0]?.message.split("\n")[0]})`,
    );
  }
  if (document.contents === null) document.contents = document.createNode({}) as never;
  document.setIn(dotPath.split("."), value);
  writeFileAtomic(file, document.toString({ indent: 2, lineWidth: 0 }));
}

/** Removes one dot-path from an existing YAML file (comments and other keys kept), atomically. */
export function deleteConfigValue(file: string, dotPath: string): void {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new ConfigError(
      `${file}: invalid YAML, not changed (${document.errors[0]?.message.split("\n")[0]})`,
    );
  }
  document.deleteIn(dotPath.split("."));
  writeFileAtomic(file, document.toString({ indent: 2, lineWidth: 0 }));
}
