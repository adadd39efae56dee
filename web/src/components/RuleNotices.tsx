// What the dialogs say about the access policy's rules before the form: that the roles cannot be activated
// now (and why), that several rules were combined, and where a rule was overruled.
import { Notice } from './Notice';
import type { DialogRules } from '../role-rules';

export function RuleNotices({ rules }: { rules: DialogRules }) {
  return (
    <>
      {rules.blocked && (
        <Notice kind="warning" title="Not available now">
          <p>{rules.blocked}</p>
        </Notice>
      )}
      {rules.combined && (
        <Notice kind="info" title="Several rules apply">
          <p>{rules.combined}</p>
        </Notice>
      )}
      {rules.notes.map((note) => (
        <p key={note} className="muted">
          {note}
        </p>
      ))}
    </>
  );
}
