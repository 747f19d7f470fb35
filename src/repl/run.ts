/**
 * /run and /resume: app/run's runTask (as `hierocode run`) with the live panel of src/cli/progress
 * (plus the subscription quota bar), Ctrl-C cancelling only the run, and the result kept for
 * /diff, /apply and /usage.
 */
import { applyChanges, runTask } from "../app/run.js";
import { configFor, escalationConfirm, renderSummary } from "../cli/commands/run.js";
import { ProgressView, wantsLiveView } from "../cli/progress.js";
import { repositoryFor } from "../cli/repository.js";
import { providerRuntime } from "../cli/runtime.js";
import { isAbortLike } from "../errors.js";
import { verifierForRun } from "../verify/index.js";
import { describeApply } from "./apply.js";
import type { Session } from "./session.js";
import { quotaWindowsFor } from "./usage.js";

export async function runInRepl(
  session: Session,
  request: { task?: string; resumeRunId?: string },
): Promise<void> {
  const context = await session.context();
  const { output } = session;
  const repoRoot = repositoryFor(context, undefined);
  const config = configFor(context, repoRoot, {});
  const verifier = await verifierForRun({
    repoRoot,
    flag: session.verify,
    policy: config.policy,
    env: session.env,
  });
  const view = new ProgressView({
    stream: session.io.errors,
    live: wantsLiveView(session.io.errors, session.env),
    paint: output.paint,
    quota: () => quotaWindowsFor(session.env, config),
  });
  const controller = new AbortController();
  session.abort = controller;
  if (request.task) session.lastTask = request.task;
  const keys = swallowKeys(session, () => controller.abort());
  let outcome: Awaited<ReturnType<typeof runTask>>;
  try {
    outcome = await runTask({
      config,
      env: session.env,
      repoRoot,
      runtime: providerRuntime(context),
      ...(request.task ? { task: request.task } : {}),
      ...(request.resumeRunId ? { resumeRunId: request.resumeRunId } : {}),
      ...(verifier ? { verifier } : {}),
      confirm: async (request) => {
        // The question (@clack/prompts) takes the keyboard and may leave it paused or cooked.
        const answer = await escalationConfirm(context, false, view)(request);
        keys.reassert();
        return answer;
      },
      emit: view.handle,
      signal: controller.signal,
    });
  } catch (error) {
    view.stop();
    // A run stopped before its plan was logged cannot be resumed (`--resume` refuses it).
    const planned = view.state.stage !== "starting" && view.state.stage !== "planning";
    const runId = planned ? view.state.runId : undefined;
    if (runId) session.resumable = runId;
    if (isAbortLike(error) || controller.signal.aborted) {
      output.note(
        output.paint.yellow(
          runId
            ? `run ${runId} cancelled; resume with /resume ${runId}`
            : view.state.runId
              ? `run ${view.state.runId} cancelled before its plan was made; nothing to resume`
              : "cancelled before the run started",
        ),
      );
      return;
    }
    if (runId) output.note(`run ${runId} stopped; resume with /resume ${runId}`);
    throw error;
  } finally {
    keys.release();
    session.abort = undefined;
  }
  view.stop();
  const { result, logFile, setup } = outcome;
  if (session.resumable === outcome.runId) session.resumable = undefined;
  session.lastTask = request.task ?? session.lastTask;
  session.lastRun = {
    runId: outcome.runId,
    task: request.task ?? session.lastTask ?? "",
    repoRoot,
    logFile,
    result,
    pending: [...result.applicable],
  };
  const models = {
    planner: setup.roles.planner.model,
    drafter: setup.roles.drafter.model,
    reviewer: setup.roles.reviewer.model,
  };
  renderSummary(output, result, models, logFile, repoRoot);
  if (result.applicable.length === 0) return;
  if (session.autoApply || config.policy.auto_apply) {
    const applied = await applyChanges(repoRoot, result.applicable);
    describeApply(session, applied, result.applicable);
    return;
  }
  output.note(output.paint.dim(`${result.applicable.length} file(s) ready: /diff to read, /apply to write`));
}

/**
 * While the panel is live, keys typed would echo into it: the terminal goes to raw mode and keys
 * are swallowed, except Ctrl-C, which cancels the run (cooked mode would turn it into SIGINT,
 * which the session handles too — e.g. after a question put the terminal back).
 */
function swallowKeys(session: Session, onCtrlC: () => void): { release(): void; reassert(): void } {
  const input = session.io.input;
  if (!input.isTTY || typeof input.setRawMode !== "function") return { release() {}, reassert() {} };
  const onData = (chunk: Buffer | string) => {
    if (String(chunk).includes("\u0003")) onCtrlC();
  };
  input.setRawMode(true);
  input.on("data", onData);
  input.resume();
  return {
    reassert() {
      input.setRawMode(true);
      input.resume();
    },
    release() {
      input.off("data", onData);
      if (input.isTTY) input.setRawMode(false);
      input.pause();
    },
  };
}
