/** Model-name matching per backend: Ollama's `llama3.2` means `llama3.2:latest`. */
import { normalizeOllamaModel } from "../providers/ollama.js";

export function modelMatches(providerType: string, available: string, wanted: string): boolean {
  if (available === wanted) return true;
  if (providerType === "ollama")
    return normalizeOllamaModel(available.trim()) === normalizeOllamaModel(wanted.trim());
  return false;
}

const coderHints = [
  "coder",
  "code",
  "codestral",
  "devstral",
  "starcoder",
  "codellama",
  "codegemma",
  "granite-code",
];

export function looksLikeCoder(name: string): boolean {
  const lower = name.toLowerCase();
  return coderHints.some((hint) => lower.includes(hint));
}

export function looksLikeEmbedding(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.includes("embed") || lower.includes("bge-") || lower.includes("minilm");
}
