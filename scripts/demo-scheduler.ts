// The demo's stand-in for Cloud Scheduler: it calls the service's scheduled tasks (/tasks/workflows for
// escalations, scheduled starts and reminders; /tasks/cleanup for the sweeper and expiry notices) with a
// Google-signed OIDC token of the invoker service account, minted by the emulator's IAM Credentials API —
// exactly the call a deployment's scheduler job makes, so the demo's workflows run as they would in production.

export interface TaskTarget {
  /** The emulator, which mints the OIDC token. */
  emulatorUrl: string;
  /** Where the service listens (tasks are outside IAP). */
  serviceUrl: string;
  /** The service's PUBLIC_URL: the token's audience is PUBLIC_URL/tasks/NAME. */
  publicUrl: string;
  /** CLEANUP_INVOKER_SERVICE_ACCOUNT. */
  invoker: string;
}

export type TaskName = 'workflows' | 'cleanup';

/** Runs one task once, as the scheduler would; answers the task's HTTP status and body. */
export async function runTask(target: TaskTarget, task: TaskName): Promise<{ status: number; body: unknown }> {
  const minted = await fetch(`${target.emulatorUrl}/v1/projects/-/serviceAccounts/${encodeURIComponent(target.invoker)}:generateIdToken`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-scheduler' },
    body: JSON.stringify({ audience: `${target.publicUrl}/tasks/${task}`, includeEmail: true }),
  });
  if (!minted.ok) throw new Error(`the emulator did not issue an ID token for ${target.invoker}: HTTP ${minted.status} ${await minted.text()}`);
  const { token } = (await minted.json()) as { token: string };
  const res = await fetch(`${target.serviceUrl}/tasks/${task}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

/** Runs each task every `minutes` until stopped; a failed run is reported and the next one runs as planned. */
export function scheduleTasks(target: TaskTarget, every: Record<TaskName, number>, report: (line: string) => void): () => void {
  const timers = (Object.keys(every) as TaskName[]).map((task) =>
    setInterval(() => {
      runTask(target, task).then(
        ({ status, body }) => {
          if (status !== 200) report(`demo scheduler: /tasks/${task} answered ${status}: ${JSON.stringify(body)}`);
        },
        (e: Error) => report(`demo scheduler: /tasks/${task} could not run: ${e.message}`),
      );
    }, every[task] * 60_000),
  );
  return () => timers.forEach(clearInterval);
}
