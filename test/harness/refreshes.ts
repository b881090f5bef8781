/*
 * What a running backend says about the plugin's scheduled refresh: the runs
 * its log reports, the scheduler's state of the task (Backstage's
 * `/.backstage/scheduler/v1/tasks` route on the plugin), a way to trigger it,
 * and a polling helper to wait for any of it.
 */

/** The id the plugin schedules its refresh under. */
export const REFRESH_TASK = 'image-freshness-refresh';

/** One finished refresh run, read from the backend's log. */
export interface RefreshRun {
  /** when it started (its end less its duration), ms since the epoch */
  startedAt: number;
  /** when it logged its end, ms since the epoch */
  finishedAt: number;
  entities: number;
  failed: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Every "Image freshness refresh finished" line in a backend's log, in order. */
export function refreshRuns(logs: string): RefreshRun[] {
  const runs: RefreshRun[] = [];
  for (const raw of logs.split('\n')) {
    const line = raw.replace(ANSI, '');
    if (!line.includes('Image freshness refresh finished')) continue;
    const field = (name: string) =>
      Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1]);
    const finishedAt = Date.parse(line.split(' ')[0]);
    const durationMs = field('durationMs');
    if (Number.isNaN(finishedAt) || Number.isNaN(durationMs)) {
      throw new Error(`Unexpected refresh log line: ${line}`);
    }
    runs.push({
      startedAt: finishedAt - durationMs,
      finishedAt,
      entities: field('entities'),
      failed: field('failed'),
    });
  }
  return runs;
}

/** The scheduler's view of a global task, as its route answers it. */
export interface TaskState {
  /** the task's, shared by every replica (from the database) */
  status: 'idle' | 'running';
  startsAt?: string;
  startedAt?: string;
  lastRunEndedAt?: string;
  /** this replica's worker: `running` only on the replica that runs it */
  worker?: 'idle' | 'running' | 'initial-wait';
}

/** Reads the state of one of the plugin's scheduled tasks. */
export async function taskState(
  backendUrl: string,
  token: string,
  taskId = REFRESH_TASK,
): Promise<TaskState> {
  const res = await fetch(
    `${backendUrl}/api/image-freshness/.backstage/scheduler/v1/tasks`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  if (!res.ok) {
    throw new Error(`GET scheduler tasks: ${res.status} ${await res.text()}`);
  }
  const { tasks } = (await res.json()) as {
    tasks: Array<{
      taskId: string;
      taskState: TaskState | null;
      workerState: { status: TaskState['worker'] } | null;
    }>;
  };
  const task = tasks.find(t => t.taskId === taskId);
  if (!task?.taskState) throw new Error(`No state for the task ${taskId}`);
  return { ...task.taskState, worker: task.workerState?.status };
}

/** Asks the scheduler to run a task now (it must not be running). */
export async function triggerTask(
  backendUrl: string,
  token: string,
  taskId = REFRESH_TASK,
): Promise<void> {
  const res = await fetch(
    `${backendUrl}/api/image-freshness/.backstage/scheduler/v1/tasks/${taskId}/trigger`,
    { method: 'POST', headers: { authorization: `Bearer ${token}` } },
  );
  if (!res.ok) {
    throw new Error(`Trigger ${taskId}: ${res.status} ${await res.text()}`);
  }
}

/**
 * Polls `probe` until it answers something other than undefined or false,
 * and answers that; throws naming `what` after `timeoutMs`.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const answer = await probe();
    if (answer !== undefined && answer !== false) return answer;
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${what}`);
    await new Promise(r => setTimeout(r, options.intervalMs ?? 250));
  }
}
