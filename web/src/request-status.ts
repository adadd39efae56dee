// A request as the inbox and "my requests" list it, in words; and opening one without its email.
import { api, type LoggedRequestView } from './api';
import { navigate } from './router';

/** "Pending · 1 of 2 approvals", "Denied by bob@example.com: not now", "Approved by carol@example.com". */
export function requestStatusText(item: LoggedRequestView): string {
  switch (item.status) {
    case 'pending':
      return `Pending · ${item.approvals.length} of ${item.requiredApprovals} approval${item.requiredApprovals === 1 ? '' : 's'}`;
    case 'approved':
      return `Approved by ${item.approvals.map((a) => a.approver).join(', ')}`;
    case 'denied':
      return `Denied by ${item.deniedBy}${item.reason ? `: ${item.reason}` : ''}`;
    case 'cancelled':
      return 'Cancelled';
    case 'expired':
      return 'Expired without a decision';
  }
}

const REQUESTS_CHANGED = 'jitaccess:requests-changed';

/** A request was decided or withdrawn here, or a break-glass activation reviewed: the counts in the navigation are read again. */
export function requestsChanged(): void {
  window.dispatchEvent(new Event(REQUESTS_CHANGED));
}

/** Calls `onChange` whenever a request was decided or withdrawn, or an activation reviewed, on this page; returns how to stop. */
export function onRequestsChanged(onChange: () => void): () => void {
  window.addEventListener(REQUESTS_CHANGED, onChange);
  return () => window.removeEventListener(REQUESTS_CHANGED, onChange);
}

/** The request's page (the one its email links to), after the service gave its token again. */
export async function openRequest(requestId: string): Promise<void> {
  const { token } = await api.requestToken(requestId);
  navigate(`/approve/${token}`);
}
