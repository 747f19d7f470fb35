/**
 * Work the CLI shell does after every command (closing databases, …), registered by the modules
 * that need it, so the shell does not have to import them (and their dependencies) up front.
 */
const tasks = new Set<() => void>();

/** Registers `task` to run after each command (idempotent per function). */
export function afterEachCommand(task: () => void): void {
  tasks.add(task);
}

/** Runs every registered task; one that throws does not stop the others. */
export function runAfterCommandTasks(): void {
  for (const task of tasks) {
    try {
      task();
    } catch {
      // cleanup is best effort
    }
  }
}
