/** Repository understanding: ignore-aware listing, the symbol index, the ranked map, packing. */
import { walkRepo } from "./walk.js";

export type { LanguageId } from "./file-kinds.js";
export { clearIndexCache, type IndexOptions, type IndexResult, indexRepo } from "./indexer.js";
export { type PackBlock, type PackRequest, type PackResult, packContext } from "./pack.js";
export { buildRepoMap, defaultMapTokens, type RepoMap, type RepoMapRequest } from "./repo-map.js";
export type { IndexedFile, RepoSymbol, SymbolKind } from "./types.js";
export type { WalkOptions } from "./walk.js";

/** Every file the index would consider (ignore rules, vendored/binary/generated/oversized skipped). */
export async function listRepoFiles(
  repoRoot: string,
  options: import("./walk.js").WalkOptions = {},
): Promise<Array<{ path: string; size: number }>> {
  return walkRepo(repoRoot, options).files.map((file) => ({ path: file.path, size: file.size }));
}
