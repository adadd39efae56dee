// The last project a user worked on, kept in this browser so the next visit starts there.
const KEY = 'jitaccess.projectId';

export function rememberedProject(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    // Storage can be disabled by policy; the app then simply asks every time.
    return null;
  }
}

/** Makes `projectId` the project the request page opens with next. */
export function rememberProject(projectId: string): void {
  try {
    window.localStorage.setItem(KEY, projectId);
  } catch {
    // As above: not remembering is acceptable.
  }
}
