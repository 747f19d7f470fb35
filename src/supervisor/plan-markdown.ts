/**
 * Renders a plan as a HACO PLAN.md (§8.1): summary, numbered tickets with their files,
 * dependencies and acceptance criteria, and the commands that verify the work.
 */
import type { Plan } from "../pipeline/plan-schema.js";

export interface PlanMarkdownOptions {
  /** The task as the user gave it, used as the title. */
  task?: string;
  verifyCommand?: string;
}

/** Only the fields the renderer reads, so hand-written plans render too. */
export type RenderablePlan = {
  summary?: Plan["summary"];
  units: Array<
    Pick<
      Plan["units"][number],
      "id" | "goal" | "target_files" | "context_files" | "acceptance" | "depends_on"
    > &
      Partial<Pick<Plan["units"][number], "new_files">>
  >;
};

function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

export function renderPlanMarkdown(plan: RenderablePlan, options: PlanMarkdownOptions = {}): string {
  const numberOf = new Map(plan.units.map((unit, index) => [unit.id, index + 1]));
  const lines: string[] = [
    `# PLAN: ${oneLine(options.task ?? plan.summary ?? "untitled")}`,
    "",
    "## Summary",
    "",
  ];
  lines.push(oneLine(plan.summary ?? "") || "_No summary given._", "");
  lines.push("## Tickets", "");
  plan.units.forEach((unit, index) => {
    const created = new Set(unit.new_files ?? []);
    lines.push(`### ${index + 1}. ${oneLine(unit.goal)}`, "", `- Id: ${code(unit.id)}`);
    lines.push(
      `- Files: ${unit.target_files.map((file) => `${code(file)}${created.has(file) ? " (new)" : ""}`).join(", ")}`,
    );
    if (unit.context_files.length > 0)
      lines.push(`- Read for context: ${unit.context_files.map(code).join(", ")}`);
    const dependencies = unit.depends_on.map((id) =>
      numberOf.has(id) ? `#${numberOf.get(id)} (${code(id)})` : code(id),
    );
    lines.push(`- Depends on: ${dependencies.length > 0 ? dependencies.join(", ") : "none"}`);
    lines.push("- Acceptance:");
    if (unit.acceptance.length === 0) lines.push("  - [ ] _none stated: define before delegating_");
    for (const criterion of unit.acceptance) lines.push(`  - [ ] ${oneLine(criterion)}`);
    lines.push("- Status: todo", "");
  });
  lines.push("## Verification", "");
  if (options.verifyCommand) {
    lines.push(
      "Run after integrating each ticket, and once more at the end:",
      "",
      "```sh",
      options.verifyCommand,
      "```",
      "",
    );
  } else {
    lines.push(
      "_No test command known: add one (e.g. `npm test`, `python3 -m pytest -q`) or a minimal smoke test._",
      "",
    );
  }
  lines.push(
    "## Workflow",
    "",
    "Delegate drafts with `bin/worker` (see `.haco/prompts/ticket_template.md`), review them, integrate them yourself, verify, and commit per ticket.",
    "",
  );
  return lines.join("\n");
}
