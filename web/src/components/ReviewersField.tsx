// The reviewers an approval request names: who may be asked (the role's peers, or the designated approvers its
// rule names), whom the requester chose, and whether that is enough. Shared by the request dialogs.
import { useState } from 'react';
import type { MeResponse, Role } from '../../../server/api/schemas';
import { api } from '../api';
import type { Approval } from '../role-rules';
import { useResource, type Resource } from '../use-resource';
import { ErrorNotice, Loading, Notice } from './Notice';

export interface Reviewers {
  candidates: Resource<{ reviewers: string[] }>;
  chosen: string[];
  setChosen: (reviewers: string[]) => void;
  min: number;
  max: number;
  /** Whether the candidates are the rule's designated approvers rather than the role's other holders. */
  designated: boolean;
  tooFew: boolean;
  /** A rule may need more approvals than the service lets a request name reviewers: the server refuses it too. */
  unreachable: boolean;
  /** The candidates are loaded and someone may be asked. */
  available: boolean;
}

export function useReviewers(projectId: string, role: Role, approval: Approval, settings: MeResponse['settings']): Reviewers {
  const candidates = useResource(() => api.reviewers(projectId, role.id), [projectId, role.id]);
  const [chosen, setChosen] = useState<string[]>([]);
  const min = Math.max(settings.minReviewers, approval.requiredApprovals);
  const max = settings.maxReviewers;
  return {
    candidates,
    chosen,
    setChosen,
    min,
    max,
    designated: approval.kind === 'approvers',
    tooFew: chosen.length < min,
    unreachable: min > max,
    available: candidates.state === 'ready' && candidates.data.reviewers.length > 0,
  };
}

interface ReviewersFieldProps {
  reviewers: Reviewers;
  /** What to say when nobody else may approve. */
  nobody: { title: string; text: string };
  disabled: boolean;
  showProblems: boolean;
}

/** The reviewers to ask: loading, failed (with a retry), nobody to ask, or the choice among the candidates. */
export function ReviewersField({ reviewers, nobody, disabled, showProblems }: ReviewersFieldProps) {
  const { candidates, designated } = reviewers;
  if (candidates.state === 'loading') return <Loading>Finding who can approve…</Loading>;
  if (candidates.state === 'failed') return <ErrorNotice context="load" title="The reviewers could not be loaded" error={candidates.error} onRetry={candidates.reload} />;
  if (candidates.data.reviewers.length === 0) {
    return (
      <Notice kind="warning" title={nobody.title}>
        <p>{nobody.text}</p>
      </Notice>
    );
  }
  return (
    <ReviewerChoice
      candidates={candidates.data.reviewers}
      chosen={reviewers.chosen}
      onChange={reviewers.setChosen}
      min={reviewers.min}
      max={reviewers.max}
      among={designated ? 'among the designated approvers' : 'among those who hold the same eligible role'}
      disabled={disabled}
      showProblems={showProblems}
    />
  );
}

interface ReviewerChoiceProps {
  candidates: string[];
  chosen: string[];
  onChange: (reviewers: string[]) => void;
  min: number;
  max: number;
  /** Whom the candidates are, for the instruction: "among the designated approvers". */
  among: string;
  disabled: boolean;
  showProblems: boolean;
}

function ReviewerChoice({ candidates, chosen, onChange, min, max, among, disabled, showProblems }: ReviewerChoiceProps) {
  const full = chosen.length >= max;
  const tooFew = chosen.length < min;
  const count = (n: number) => `${n} reviewer${n === 1 ? '' : 's'}`;
  const rule = `${min === max ? `Choose ${count(min)}` : max >= candidates.length ? `Choose at least ${count(min)}` : `Choose ${min} to ${count(max)}`} ${among}`;
  const state = full && max < candidates.length ? 'You have chosen as many as allowed.' : chosen.length > 0 ? `${chosen.length} chosen.` : '';

  function toggle(email: string) {
    onChange(chosen.includes(email) ? chosen.filter((r) => r !== email) : [...chosen, email]);
  }

  return (
    <fieldset className="field" aria-describedby="reviewer-rule">
      <legend>Reviewers</legend>
      <p id="reviewer-rule" className={showProblems && tooFew ? 'field-problem' : 'field-help'}>
        {rule}. {state}
      </p>
      <ul className="checkbox-list">
        {candidates.map((email) => {
          const checked = chosen.includes(email);
          return (
            <li key={email}>
              <label>
                <input type="checkbox" checked={checked} disabled={disabled || (!checked && full)} onChange={() => toggle(email)} />
                {email}
              </label>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
