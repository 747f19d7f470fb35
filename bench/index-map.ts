/** Prints the repository map of a folder (diagnostics): index-map <root> <tokens> [task] [model]. */
import { buildRepoMap } from "../src/repo/repo-map.js";
import { tokenCounterFor } from "../src/tokens/select.js";

const [root, tokens, task, model] = process.argv.slice(2);
if (!root || !tokens) throw new Error("usage: index-map <root> <tokens> [task] [model]");
const started = performance.now();
const map = await buildRepoMap({
  repoRoot: root,
  tokens: Number(tokens),
  ...(task ? { task } : {}),
  ...(model ? { counter: tokenCounterFor(model) } : {}),
});
console.log(map.text);
console.error(
  `${map.tokens} tokens (${map.estimator}), ${map.shownFiles}/${map.totalFiles} files, ${Math.round(performance.now() - started)} ms`,
);
