/**
 * "Did you mean": the window of the file most like a block that failed to match. Similarity is
 * used only to help the model correct itself, never to decide where an edit goes.
 */

function tokens(line: string): Set<string> {
  return new Set(line.match(/[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]/g) ?? []);
}

function similarity(left: Set<string>, right: Set<string>): number {
  if (left.size === 0 || right.size === 0) return 0;
  let shared = 0;
  for (const token of left) if (right.has(token)) shared++;
  return shared / (left.size + right.size - shared);
}

export function nearestLines(
  file: readonly string[],
  search: readonly string[],
): { start: number; lines: string[] } | null {
  const wanted = search.filter((line) => line.trim() !== "");
  if (wanted.length === 0 || file.length === 0) return null;
  const wantedTokens = wanted.map(tokens);
  const fileTokens = file.map(tokens);
  const width = Math.min(search.length, file.length);
  // Bound the work on huge files: compare each window against the first few search lines only.
  const probe = wantedTokens.slice(0, Math.max(1, Math.floor(2_000_000 / Math.max(1, file.length * width))));
  let best = { start: -1, score: 0 };
  for (let start = 0; start + width <= file.length; start++) {
    let score = 0;
    for (const wantedLine of probe) {
      let lineBest = 0;
      for (let offset = 0; offset < width; offset++) {
        const value = similarity(wantedLine, fileTokens[start + offset] ?? new Set());
        if (value > lineBest) lineBest = value;
      }
      score += lineBest;
    }
    if (score > best.score) best = { start, score };
  }
  if (best.start < 0 || best.score / probe.length < 0.3) return null;
  return { start: best.start, lines: file.slice(best.start, best.start + width) };
}
