// After tsc: make the CLI entry executable (tsc does not preserve modes) and write the config's
// JSON Schema for editors, generated from the zod schema.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";

for (const name of ["bin.js", "main.js"]) {
  const entry = new URL(`../dist/cli/${name}`, import.meta.url);
  if (existsSync(entry)) chmodSync(entry, 0o755);
}

const schemaModule = new URL("../dist/config/schema.js", import.meta.url);
if (existsSync(schemaModule)) {
  const { configJsonSchema } = await import(schemaModule.href);
  const folder = new URL("../schema/", import.meta.url);
  mkdirSync(folder, { recursive: true });
  const schema = { title: "hierocode configuration (~/.hierocode.yaml)", ...configJsonSchema() };
  writeFileSync(new URL("hierocode.schema.json", folder), `${JSON.stringify(schema, null, 2)}\n`);
}
