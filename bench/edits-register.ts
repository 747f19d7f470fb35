/**
 * Lets Node run the TypeScript sources directly (type stripping): the sources import siblings with
 * the `.js` suffix that the compiled output will have, so map a missing `.js` to the `.ts` beside it.
 */
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith(".") && specifier.endsWith(".js") && context.parentURL?.startsWith("file:")) {
      const candidate = new URL(specifier, context.parentURL);
      if (!existsSync(fileURLToPath(candidate))) {
        const typescript = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
        if (existsSync(fileURLToPath(typescript))) return nextResolve(typescript.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
