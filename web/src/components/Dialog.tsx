// A modal dialog on the browser's own <dialog>: it keeps focus inside, closes on Escape and gives
// focus back to what opened it.
import { useId, useLayoutEffect, useRef, type ReactNode } from 'react';

interface DialogProps {
  title: string;
  onClose: () => void;
  /** While true, Escape does nothing: a request is in flight and its answer must be shown. */
  busy?: boolean;
  children: ReactNode;
}

export function Dialog({ title, onClose, busy = false, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef(document.activeElement);
  const titleId = useId();

  useLayoutEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    return () => {
      // Strict Mode runs this cleanup without removing the dialog; only a real removal gives focus back,
      // and only if the page has not moved it somewhere of its own (a notice saying what happened).
      queueMicrotask(() => {
        const unclaimed = document.activeElement === null || document.activeElement === document.body;
        if (!dialog.isConnected && unclaimed && opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
      });
    };
  }, []);

  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose} onCancel={(event) => busy && event.preventDefault()}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
