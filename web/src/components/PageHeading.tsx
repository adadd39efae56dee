// A page's h1, which also names the browser tab.
import { useEffect, useRef, type ReactNode } from 'react';

interface PageHeadingProps {
  title: string;
  /** For views that replace the one the user acted in (a result after a dialog): move focus here. */
  focusOnMount?: boolean;
  children?: ReactNode;
}

export function PageHeading({ title, focusOnMount = false, children }: PageHeadingProps) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · JIT Access`;
  }, [title]);
  useEffect(() => {
    if (focusOnMount) ref.current?.focus();
  }, [focusOnMount]);
  return (
    <h1 id="page-heading" ref={ref} tabIndex={-1}>
      {children ?? title}
    </h1>
  );
}
