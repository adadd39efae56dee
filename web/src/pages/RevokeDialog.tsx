// Revoking another person's grant asks for a reason: the user reads it in their email, the audit log keeps it.
import { useId, useState, type FormEvent } from 'react';
import { api, type AdminElevation, type RevokeGrantResponse } from '../api';
import { Dialog } from '../components/Dialog';
import { ErrorNotice } from '../components/Notice';
import { RoleName } from '../components/RoleName';
import { useSending } from '../use-sending';

export function RevokeDialog({ elevation, onClose, onRevoked }: { elevation: AdminElevation; onClose: () => void; onRevoked: (result: RevokeGrantResponse) => void }) {
  const reasonId = useId();
  const problemId = useId();
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const { busy, error, send } = useSending();

  async function revoke(event: FormEvent) {
    event.preventDefault();
    if (reason.trim() === '') {
      setMissing(true);
      return;
    }
    await send(async () => onRevoked(await api.revokeGrant(elevation, reason.trim())));
  }

  return (
    <Dialog title="Revoke this grant?" onClose={onClose} busy={busy}>
      <form onSubmit={revoke} noValidate>
        <p>
          <strong>{elevation.user}</strong> will lose <RoleName entry={elevation} /> on <strong>{elevation.projectId}</strong> now, and is told why.
        </p>
        <div className="field">
          <label htmlFor={reasonId}>Reason</label>
          <input
            id={reasonId}
            type="text"
            value={reason}
            maxLength={500}
            required
            autoComplete="off"
            disabled={busy}
            aria-invalid={missing || undefined}
            aria-describedby={missing ? problemId : undefined}
            onChange={(event) => {
              setReason(event.target.value);
              setMissing(false);
            }}
          />
          {missing && (
            <p id={problemId} className="field-problem">
              Say why the grant is revoked: the user reads it.
            </p>
          )}
          <p className="field-help">Sent to the user and kept in the audit log, for example “Incident closed, access no longer needed”.</p>
        </div>
        {error && <ErrorNotice context="form" title="The grant was not revoked" error={error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Keep the grant
          </button>
          <button type="submit" className="button button-danger" disabled={busy}>
            {busy ? 'Revoking…' : 'Revoke'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
