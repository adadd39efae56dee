// A result page opened without its result (a bookmark, another tab): the result lives only in the
// browser history entry it was shown in, so say where to find the same facts.
import { PageHeading } from '../components/PageHeading';
import { Link } from '../router';

export function ResultGone({ what }: { what: string }) {
  return (
    <>
      <PageHeading title="Nothing to show here" />
      <p>This page shows the outcome of {what} right after it is made, and this browser tab has none to show.</p>
      <p>
        <Link href="/my-access">My access</Link> lists the roles you hold now; <Link href="/">Request access</Link> shows your roles on a project.
      </p>
    </>
  );
}
