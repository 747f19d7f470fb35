/**
 * `hierocode eval schedule --weekly`: a cron line or a systemd user timer that runs
 * `hierocode eval run` once a week. Printed by default; written only with `--install`.
 * Formats: crontab(5) five fields; systemd.timer(5) `OnCalendar=weekly`, `Persistent=true`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ExitCode, HierocodeError } from "../errors.js";

type Env = Record<string, string | undefined>;

export interface ScheduleSpec {
  /** The program to run: the running node binary and this CLI's entry point, absolute. */
  argv: string[];
  /** Log file the cron job appends to. */
  logFile: string;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** Monday 03:17 local time, every week. */
export function cronLine(spec: ScheduleSpec): string {
  return `17 3 * * 1 ${spec.argv.map(shellQuote).join(" ")} eval run >> ${shellQuote(spec.logFile)} 2>&1`;
}

export function systemdUnits(spec: ScheduleSpec): { service: string; timer: string } {
  return {
    service: [
      "[Unit]",
      "Description=hierocode weekly evaluation of the configured models",
      "",
      "[Service]",
      "Type=oneshot",
      `ExecStart=${spec.argv.map(shellQuote).join(" ")} eval run`,
      "",
    ].join("\n"),
    timer: [
      "[Unit]",
      "Description=Run hierocode eval weekly",
      "",
      "[Timer]",
      "OnCalendar=weekly",
      "Persistent=true",
      "RandomizedDelaySec=1h",
      "",
      "[Install]",
      "WantedBy=timers.target",
      "",
    ].join("\n"),
  };
}

/**
 * Writes `hierocode-eval.service` and `.timer` under `$XDG_CONFIG_HOME/systemd/user` and enables
 * the timer with `systemctl --user enable --now`. Errors: HierocodeError (exit 1) naming the
 * systemctl failure; the unit files stay for the user to enable by hand.
 */
export function installSystemd(env: Env, spec: ScheduleSpec): string[] {
  const dir = join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config"), "systemd", "user");
  mkdirSync(dir, { recursive: true });
  const units = systemdUnits(spec);
  const service = join(dir, "hierocode-eval.service");
  const timer = join(dir, "hierocode-eval.timer");
  writeFileSync(service, units.service);
  writeFileSync(timer, units.timer);
  for (const args of [
    ["--user", "daemon-reload"],
    ["--user", "enable", "--now", "hierocode-eval.timer"],
  ]) {
    const result = spawnSync("systemctl", args, { encoding: "utf8", env: env as NodeJS.ProcessEnv });
    if (result.status !== 0) {
      throw new HierocodeError(
        "schedule_failed",
        `systemctl ${args.join(" ")} failed: ${(result.stderr || result.error?.message || "").trim().split("\n")[0]}`,
        ExitCode.internal,
        { hint: `the unit files are in ${dir}; use --cron to print a crontab line instead` },
      );
    }
  }
  return [service, timer];
}

/**
 * Adds the cron line to the user's crontab (`crontab -l` + line | `crontab -`), unless a line
 * running `eval run` is already there. Errors: HierocodeError when crontab is missing or fails.
 */
export function installCron(env: Env, spec: ScheduleSpec): string {
  const line = cronLine(spec);
  const current = spawnSync("crontab", ["-l"], { encoding: "utf8", env: env as NodeJS.ProcessEnv });
  if (current.error) {
    throw new HierocodeError(
      "schedule_failed",
      `crontab is not available: ${current.error.message}`,
      ExitCode.internal,
      {
        hint: "install cron, or use the systemd timer (without --cron)",
      },
    );
  }
  const existing = current.status === 0 ? current.stdout : "";
  if (existing.split("\n").some((entry) => entry.includes(" eval run") && entry.includes("hierocode")))
    return line;
  const next = `${existing.trimEnd()}${existing.trim() ? "\n" : ""}${line}\n`;
  const write = spawnSync("crontab", ["-"], { input: next, encoding: "utf8", env: env as NodeJS.ProcessEnv });
  if (write.status !== 0) {
    throw new HierocodeError(
      "schedule_failed",
      `crontab - failed: ${(write.stderr || "").trim()}`,
      ExitCode.internal,
    );
  }
  return line;
}
