// "End now" asks first: ending access cannot be undone without activating (or being approved) again.
import { useId, useState, type FormEvent } from 'react';
import { api, type ActiveGrant } from '../api';
import { Dialog } from '../components/Dialog';
import { ErrorNotice } from '../components/Notice';
import { RoleName } from '../components/RoleName';
import { useSending } from '../use-sending';

export function EndGrantDialog({ grant, onClose, onEnded }: { grant: ActiveGrant; onClose: () => void; onEnded: () => void }) {
  const reasonId = useId();
  const [reason, setReason] = useState('');
  const { busy, error, send } = useSending();

  async function end(event: FormEvent) {
    event.preventDefault();
    await send(async () => {
      await api.endGrant(grant.id, { reason: reason.trim() || undefined });
      onEnded();
    });
  }

  return (
    <Dialog title="End access now?" onClose={onClose} busy={busy}>
      <form onSubmit={end}>
        <p>
          You will lose <RoleName entry={grant} /> on <strong>{grant.projectId}</strong>. To get it back you will have to{' '}
          {grant.approval.type === 'peer' ? 'ask for approval again' : 'activate it again'}.
        </p>
        <div className="field">
          <label htmlFor={reasonId}>Reason (optional)</label>
          <input id={reasonId} type="text" value={reason} maxLength={500} autoComplete="off" disabled={busy} onChange={(event) => setReason(event.target.value)} />
          <p className="field-help">Kept in the audit log, for example “Done, incident closed”.</p>
        </div>
        {error && <ErrorNotice context="form" title="The access was not ended" error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Keep access
          </button>
          <button type="submit" className="button button-danger" disabled={busy}>
            {busy ? 'Ending…' : 'End now'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
