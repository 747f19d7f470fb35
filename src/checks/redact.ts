/**
 * Redaction for everything that leaves the machine or reaches a screen or log:
 *
 * - {@link SecretVault}: prompts for a remote model. Each secret found by the secret scanner (or
 *   the value of an auth-looking environment variable) becomes a stable placeholder
 *   `[REDACTED_SECRET_n]` (numbered per run, so nothing about the secret — not even a hash — is
 *   sent); the model's reply has the placeholders put back before edits are applied locally.
 *   Whole `.env`/key files are withheld from remote prompts unless the user allows them.
 * - {@link createRedactor}: logs and user-facing error text; lossy (`[REDACTED]`).
 */
import { isSecretFileName, type SecretFinding, scanSecrets } from "./secret-scan.js";

type Env = Record<string, string | undefined>;

const secretNamePattern = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL)/i;

/** Values of auth-looking environment variables (8+ characters), longest first. */
export function secretEnvValues(env: Env): string[] {
  return Object.entries(env)
    .filter(([name, value]) => secretNamePattern.test(name) && value !== undefined && value.length >= 8)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length);
}

/**
 * Shapes of credentials in HTTP traffic and config that the rule set does not name (or lets pass:
 * gitleaks' global allowlist drops a GitHub token whose body contains "abcdefghijklmnopqrstuvwxyz").
 * With two capture groups the first is kept and the second is the secret; otherwise the whole
 * match is the secret. Shared by the log redactor and the vault, so a remote prompt is redacted
 * at least as much as a log line.
 */
const secretShapes: Array<{ id: string; regex: RegExp }> = [
  { id: "api-key-shape", regex: /\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}/g },
  { id: "authorization-header", regex: /\b((?:Bearer|Basic)\s+)([A-Za-z0-9._~+/=-]{12,})/gi },
  { id: "token-prefix", regex: /\b(?:ghp|gho|github_pat|xox[abp]|AKIA)[A-Za-z0-9_]{12,}/g },
  {
    id: "secret-assignment",
    regex:
      /(["']?(?:api[_-]?key|x-api-key|authorization|password|secret|token)["']?\s*[:=]\s*["']?)([^"'\s,}]{8,})/gi,
  },
];

/** A secret already replaced (`[REDACTED]`, `[REDACTED_SECRET_n]`) is not a secret again. */
const alreadyRedacted = /\[REDACTED(?:_SECRET_\d+)?\]/;

/**
 * Right-hand sides of `token = …` that are code, not a literal: a call or an index on a name, a
 * variable reference, or a dotted name (`compute_token(0)`, `headers[`, `$TOKEN`, `${TOKEN}`,
 * `self.api_token`). Anything else — `Pa$$w0rd(1)` included — stays a secret.
 */
const codeExpression = /^[A-Za-z_][\w.]*[([]|^\$\{?[A-Za-z_]\w*\}?$|^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/;

/**
 * Replaces every credential shape of {@link secretShapes} in `text` by `replace(secret, shapeId)`,
 * keeping the non-secret prefix (`Bearer `, `password = "`). Values that already hold a
 * redaction marker are left alone.
 */
function replaceShapes(text: string, replace: (secret: string, shapeId: string) => string): string {
  let out = text;
  for (const shape of secretShapes) {
    out = out.replace(shape.regex, (match: string, ...rest: unknown[]) => {
      // rest = capture groups, then the offset (a number) and the whole text
      const groups = rest.slice(
        0,
        rest.findIndex((item) => typeof item === "number"),
      );
      const [prefix, value] = groups.length === 2 ? (groups as [string, string]) : ["", match];
      if (alreadyRedacted.test(value)) return match;
      if (shape.id === "secret-assignment" && codeExpression.test(value)) return match;
      return `${prefix}${replace(value, shape.id)}`;
    });
  }
  return out;
}

/**
 * A lossy redactor for logs and error output: auth-looking environment values, every finding of
 * the secret scanner, and credential shapes in headers become `[REDACTED]`.
 */
export function createRedactor(env: Env = {}): (text: string) => string {
  const values = secretEnvValues(env);
  return (text: string) => {
    let out = text;
    for (const value of values) out = out.split(value).join("[REDACTED]");
    out = replaceFindings(out, scanSecrets(out), () => "[REDACTED]");
    return replaceShapes(out, () => "[REDACTED]");
  };
}

function replaceFindings(
  text: string,
  findings: SecretFinding[],
  replacement: (finding: SecretFinding) => string,
): string {
  if (findings.length === 0) return text;
  let out = "";
  let position = 0;
  for (const finding of findings) {
    out += text.slice(position, finding.start) + replacement(finding);
    position = finding.end;
  }
  return out + text.slice(position);
}

export interface RedactionReport {
  /** Secrets replaced in this text that were not seen before in the run, by rule id. */
  newSecrets: Array<{ ruleId: string; placeholder: string }>;
  /** Files whose whole content was withheld (names only). */
  withheldFiles: string[];
}

const placeholderPattern = /\[REDACTED_SECRET_(\d+)\]/g;

/**
 * Withholds the content of file blocks (the `path\n```\n…\n```` blocks of prompts.ts
 * `fileBlock`) whose path is a `.env`/key file, leaving the path and a note.
 */
export function withholdSecretFileBlocks(text: string): { text: string; files: string[] } {
  if (!text.includes("```")) return { text, files: [] };
  const lines = text.split("\n");
  const out: string[] = [];
  const files: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    const fence = lines[index + 1];
    if ((fence === "```" || fence === "````") && isSecretFileName(line.trim())) {
      let close = index + 2;
      while (close < lines.length && lines[close] !== fence) close += 1;
      if (close < lines.length) {
        out.push(
          line,
          "(content withheld: a secrets file is never sent to a remote model; policy.send_secret_files allows it)",
        );
        files.push(line.trim());
        index = close;
        continue;
      }
    }
    out.push(line);
  }
  return { text: out.join("\n"), files };
}

/**
 * Per-run map between secrets and their placeholders. `redact` is applied to every prompt for a
 * remote model, `restore` to its reply, so an escalated draft writes the real value locally.
 */
export class SecretVault {
  private readonly bySecret = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly envValues: string[];
  private readonly sendSecretFiles: boolean;

  constructor(options: { env?: Env; sendSecretFiles?: boolean } = {}) {
    this.envValues = secretEnvValues(options.env ?? {});
    this.sendSecretFiles = options.sendSecretFiles ?? false;
  }

  /** Number of distinct secrets seen so far. */
  get size(): number {
    return this.bySecret.size;
  }

  private placeholderFor(secret: string, ruleId: string, report: RedactionReport): string {
    let placeholder = this.bySecret.get(secret);
    if (!placeholder) {
      placeholder = `[REDACTED_SECRET_${this.bySecret.size + 1}]`;
      this.bySecret.set(secret, placeholder);
      this.byPlaceholder.set(placeholder, secret);
      report.newSecrets.push({ ruleId, placeholder });
    }
    return placeholder;
  }

  /** Redacts one prompt text; `report` collects what was new. */
  redact(text: string, report: RedactionReport = { newSecrets: [], withheldFiles: [] }): string {
    let out = text;
    if (!this.sendSecretFiles) {
      const withheld = withholdSecretFileBlocks(out);
      out = withheld.text;
      for (const file of withheld.files)
        if (!report.withheldFiles.includes(file)) report.withheldFiles.push(file);
    }
    for (const value of this.envValues) {
      if (out.includes(value))
        out = out.split(value).join(this.placeholderFor(value, "environment-value", report));
    }
    // Secrets already replaced earlier in this run keep their placeholder even where no rule
    // would match them now (e.g. the value alone, without the `password =` that found it).
    for (const [secret, placeholder] of this.bySecret) {
      if (secret.length >= 6 && out.includes(secret)) out = out.split(secret).join(placeholder);
    }
    out = replaceFindings(out, scanSecrets(out), (finding) =>
      this.placeholderFor(finding.secret, finding.ruleId, report),
    );
    // At least what the log redactor hides: a value the rule set lets pass but a log would show
    // as `[REDACTED]` is never sent in clear.
    return replaceShapes(out, (secret, shapeId) => this.placeholderFor(secret, shapeId, report));
  }

  /** Puts the real values back into a reply (placeholders this vault did not issue stay as they are). */
  restore(text: string): string {
    if (!text.includes("[REDACTED_SECRET_")) return text;
    return text.replace(
      placeholderPattern,
      (placeholder) => this.byPlaceholder.get(placeholder) ?? placeholder,
    );
  }

  /** restore() applied to every string of a JSON value. */
  restoreDeep(value: unknown): unknown {
    if (typeof value === "string") return this.restore(value);
    if (Array.isArray(value)) return value.map((item) => this.restoreDeep(item));
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = this.restoreDeep(item);
      return out;
    }
    return value;
  }
}
