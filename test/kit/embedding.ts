/**
 * Deterministic embeddings for the fake servers that carry meaning the way subword models do:
 * each word of four or more letters and digits (lower-cased; shorter ones carry little meaning) contributes its character trigrams with boundary
 * marks (`<mi`, `mig`, …, `ns>`, as fastText does), hashed (FNV-1a) into `dims` buckets; the
 * vector is L2-normalized like Ollama's. Words sharing a stem ("migrations", "migrating") land
 * close together although FTS5's whole-word match sees nothing in common.
 */
export function fakeEmbedding(text: string, dims = 768): number[] {
  const vector = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? []) {
    const marked = `<${word}>`;
    for (let index = 0; index + 3 <= marked.length; index++) {
      let hash = 0x811c9dc5;
      for (const char of marked.slice(index, index + 3)) {
        hash ^= char.codePointAt(0) as number;
        hash = Math.imul(hash, 0x01000193) >>> 0;
      }
      vector[hash % dims] = (vector[hash % dims] as number) + 1;
    }
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return norm === 0 ? vector : vector.map((value) => value / norm);
}

/** Tokens the fakes report for embedding inputs (about 4 characters a token). */
export function fakeEmbeddingTokens(texts: string[]): number {
  return texts.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0);
}
