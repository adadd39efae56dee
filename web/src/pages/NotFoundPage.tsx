import { PageHeading } from '../components/PageHeading';
import { Link } from '../router';

export function NotFoundPage() {
  return (
    <>
      <PageHeading title="Page not found" />
      <p>There is no page at this address. If you followed a link from an email, check that it was not cut short.</p>
      <p>
        <Link href="/">Go to the start page</Link>
      </p>
    </>
  );
}
