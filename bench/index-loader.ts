/**
 * Lets `node` run the TypeScript benchmark straight from source: Node strips the types itself,
 * this hook maps the `.js` suffixes of our relative imports back to the `.ts` files.
 */
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (
      (specifier.startsWith(".") || specifier.startsWith("/")) &&
      specifier.endsWith(".js") &&
      context.parentURL
    ) {
      const candidate = new URL(specifier.replace(/\.js$/, ".ts"), context.parentURL);
      if (candidate.protocol === "file:" && existsSync(fileURLToPath(candidate))) {
        return nextResolve(candidate.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
