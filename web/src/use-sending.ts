// A form's request to the server: in flight until its answer (the form disabled, its dialog kept open), and
// why it failed, shown until the next try. Success leaves it in flight: the page closes the dialog with the result.
import { useState } from 'react';

export function useSending() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  async function send(request: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await request();
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  }

  return { busy, error, send };
}
