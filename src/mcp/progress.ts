/**
 * MCP progress for long tool calls: when the request carries `_meta.progressToken`, every phase
 * change becomes a `notifications/progress` with a strictly increasing `progress`, and a
 * heartbeat repeats the current phase every `heartbeatMs` (4 s) so clients that reset their
 * timeout on progress (Claude Code) keep waiting. Without a token nothing is sent.
 */

export type NotifyProgress = (params: {
  progressToken: string | number;
  progress: number;
  message: string;
}) => Promise<void>;

export interface ProgressReporter {
  phase(message: string): void;
  stop(): void;
}

export function startProgress(
  token: string | number | undefined,
  notify: NotifyProgress,
  heartbeatMs = 4000,
): ProgressReporter {
  if (token === undefined) return { phase: () => undefined, stop: () => undefined };
  let progress = 0;
  let current = "working";
  let stopped = false;
  const send = () => {
    if (stopped) return;
    progress += 1;
    void notify({ progressToken: token, progress, message: current }).catch(() => undefined);
  };
  const timer = setInterval(send, heartbeatMs);
  return {
    phase(message) {
      current = message;
      send();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
