import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/pipeline/plan-schema.js";
import { renderPlanMarkdown } from "../../src/supervisor/plan-markdown.js";

const plan: Plan = {
  summary: "Add slugify and use it in the blog router.",
  units: [
    {
      id: "u1",
      goal: "Implement slugify(title) in src/slug.js",
      target_files: ["src/slug.js"],
      new_files: ["src/slug.js"],
      context_files: ["test/slug.test.js"],
      acceptance: ["lower-cases and joins words with dashes", "drops characters other than a-z0-9"],
      depends_on: [],
      est_input_tokens: 800,
      complexity: 2,
    },
    {
      id: "u2",
      goal: "Use slugify for post URLs",
      target_files: ["src/router.js"],
      new_files: [],
      context_files: [],
      acceptance: [],
      depends_on: ["u1"],
      est_input_tokens: 1200,
      complexity: 3,
    },
  ],
};

describe("renderPlanMarkdown", () => {
  it("renders HACO tickets: summary, numbered tickets, files, acceptance, verification", () => {
    const markdown = renderPlanMarkdown(plan, {
      task: "add slugs to post URLs",
      verifyCommand: "node --test",
    });
    expect(markdown).toBe(`# PLAN: add slugs to post URLs

## Summary

Add slugify and use it in the blog router.

## Tickets

### 1. Implement slugify(title) in src/slug.js

- Id: \`u1\`
- Files: \`src/slug.js\` (new)
- Read for context: \`test/slug.test.js\`
- Depends on: none
- Acceptance:
  - [ ] lower-cases and joins words with dashes
  - [ ] drops characters other than a-z0-9
- Status: todo

### 2. Use slugify for post URLs

- Id: \`u2\`
- Files: \`src/router.js\`
- Depends on: #1 (\`u1\`)
- Acceptance:
  - [ ] _none stated: define before delegating_
- Status: todo

## Verification

Run after integrating each ticket, and once more at the end:

\`\`\`sh
node --test
\`\`\`

## Workflow

Delegate drafts with \`bin/worker\` (see \`.haco/prompts/ticket_template.md\`), review them, integrate them yourself, verify, and commit per ticket.
`);
  });

  it("asks for a test command when none is known", () => {
    expect(renderPlanMarkdown(plan)).toContain("_No test command known");
    expect(renderPlanMarkdown(plan).split("\n")[0]).toBe(
      "# PLAN: Add slugify and use it in the blog router.",
    );
  });
});
