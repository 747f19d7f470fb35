/**
 * The files `hierocode supervisor init` writes: the supervisor's rules (CLAUDE.md or AGENTS.md,
 * HACO §7 restated in our words), the bin/worker bridge, a ticket template and a PLAN.md
 * template. Pure: returns contents; the caller decides where and whether to write.
 */

export type SupervisorAgent = "claude" | "codex";

export interface KitFile {
  /** Repo-relative path. */
  path: string;
  content: string;
  /** File mode (bin/worker is executable). */
  mode: number;
}

export function rulesFileName(agent: SupervisorAgent): string {
  return agent === "codex" ? "AGENTS.md" : "CLAUDE.md";
}

function rulesFile(agent: SupervisorAgent): string {
  const name = agent === "codex" ? "Codex" : "Claude Code";
  const editTool = agent === "codex" ? "your own patch/edit tool" : "your Edit tool";
  return `# Supervisor rules (${name} + local worker)

This repository uses a two-tier workflow: you (${name}) are the supervisor, a local model is the
worker. You plan, review, integrate and verify; the worker only drafts.

## Who may do what
- Only you change files, run commands and tests, and touch git.
- The worker produces drafts and nothing else; it never writes to disk.

## The bridge to the worker
- Preferred: the hierocode MCP tools (register once: \`hierocode mcp install --${agent === "codex" ? "codex" : "claude"}\`),
  ${agent === "codex" ? "listed under the `hierocode` MCP server" : "shown as `mcp__hierocode__draft_code` and so on"}:
  - \`draft_code {goal, target_file, context_files?, acceptance?}\`: one file's draft as a unified
    diff, with the checks it passed; review it, then apply it yourself.
  - \`submit_task {task}\` then \`task_status {job_id}\`: a whole planned task, run in the
    background; the result is diffs, nothing is applied.
  - \`drafter_info {}\` (the model and its context window), \`usage_summary {since?}\` (calls, tokens,
    cost, subscription windows).
- Fallback when the MCP tools are not available: \`bin/worker\` (a thin wrapper around
  \`hierocode worker\`); it prints the artifact on stdout.

## The loop
1. **Plan.** Before any change bigger than a one-liner, write or update \`PLAN.md\`: a summary,
   numbered tickets, the files each ticket touches, acceptance criteria, and the commands that
   prove it works. \`hierocode plan -t "<task>" --write PLAN.md\` can produce a first version.
2. **Delegate.** Give the worker the first draft of any ticket that needs more than about twenty
   lines of code: \`draft_code\` with the ticket's goal, target file, context files and acceptance
   criteria. Without the MCP tools, build the prompt from \`.haco/prompts/ticket_template.md\`, then:
   - \`bin/worker "<ticket prompt>"\`, or for long prompts \`bin/worker < ticket.md\`
   - \`bin/worker --format diff …\` for a unified diff, \`--format search-replace\` for edit blocks
   - a non-zero exit means no draft: read stderr (exit 6 = the model is not pulled).
3. **Review.** Treat every draft as untrusted input. Check correctness and edge cases, security,
   performance, the project's style, and that it adds no dependency the project did not ask for.
4. **Integrate.** Apply the accepted parts yourself with ${editTool}. Never pipe worker output
   straight into a file.
5. **Verify.** Run the tests, linters, type checks and build listed in \`PLAN.md\`. If the project
   has no tests for the change, add at least a small smoke test.
6. **Iterate.** When verification fails, write a short failure report (the failing test names,
   the relevant output, the constraints that still hold) and send it back to the worker with an
   explicit request to fix exactly that. Repeat review and verify. If the worker keeps failing,
   split the ticket into smaller ones.
7. **Commit.** One commit per ticket (or a small group), with a message that names the ticket.

## Prompt hygiene
- Send the worker only what the ticket needs: signatures, interfaces, constraints, the failing
  test. Not whole files, not the repository, never secrets.
- Ask for one format and say so (code block per file, unified diff, or SEARCH/REPLACE).

## When unsure
- If a requirement is ambiguous, ask the human, or record the assumption in \`PLAN.md\` under
  "Assumptions" before acting on it.
- Dependency changes need an explicit reason in \`PLAN.md\` and an audit (\`npm audit\`,
  \`pip-audit\`, …) before they land.
`;
}

const workerScript = `#!/bin/sh
# Bridge from the supervisor to the local worker model (HACO bin/worker).
# Usage: bin/worker "<prompt>"   or   bin/worker < ticket.md   (stdin is passed through)
# The model comes from HACO_WORKER_MODEL, else routing.drafter in .hierocode.yaml.
# HIEROCODE_BIN points at another hierocode executable (e.g. a local checkout).
HIEROCODE="\${HIEROCODE_BIN:-hierocode}"
if ! command -v "$HIEROCODE" >/dev/null 2>&1; then
  echo "bin/worker: '$HIEROCODE' is not on PATH; hierocode is not on the npm registry yet: run npm link in a hierocode checkout, or set HIEROCODE_BIN" >&2
  exit 127
fi
exec "$HIEROCODE" worker "$@"
`;

const ticketTemplate = `# Ticket: <short name>

## Context
<what the module does; what must stay true after the change>

## Target
- File(s): <paths>
- Function(s) / class(es): <names>
- Public API: <signatures that must not change, or the new ones>

## Requirements
- Behaviour:
- Edge cases:
- Security:
- Performance:
- Style: <conventions to follow; libraries allowed — no new dependencies unless listed here>

## Acceptance
- <test or command that must pass>

## Output format
Return one fenced code block per file with the file path on the line before it,
OR a single unified diff. Nothing else: no explanations.
`;

const planTemplate = `# PLAN: <initiative>

## Summary
<one paragraph: the goal and the approach>

## Assumptions
- <anything decided without asking>

## Tickets

### 1. <ticket name>
- Files: <paths>
- Depends on: none
- Acceptance:
  - <criterion>
- Status: todo

## Verification
\`\`\`sh
<test command>
\`\`\`
`;

export function supervisorKitFiles(agent: SupervisorAgent): KitFile[] {
  return [
    { path: rulesFileName(agent), content: rulesFile(agent), mode: 0o644 },
    { path: "bin/worker", content: workerScript, mode: 0o755 },
    { path: ".haco/prompts/ticket_template.md", content: ticketTemplate, mode: 0o644 },
    { path: "PLAN.md", content: planTemplate, mode: 0o644 },
  ];
}
