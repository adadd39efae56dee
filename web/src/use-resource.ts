// Loads data for a component and tracks the wait: every screen shows loading, error or data.
import { useCallback, useEffect, useRef, useState } from 'react';

type State<T> = { state: 'loading' } | { state: 'failed'; error: Error } | { state: 'ready'; data: T };

export type Resource<T> = State<T> & { reload: () => void };

/** Calls `load` whenever a dependency changes or `reload()` is called; late answers of older calls are dropped. */
export function useResource<T>(load: () => Promise<T>, dependencies: unknown[]): Resource<T> {
  const [generation, setGeneration] = useState(0);
  const [result, setResult] = useState<State<T>>({ state: 'loading' });
  const reloading = useRef(false);
  const reload = useCallback(() => {
    reloading.current = true;
    setGeneration((g) => g + 1);
  }, []);

  useEffect(() => {
    let current = true;
    // A reload keeps showing the data it refreshes (no flicker); anything else starts with the wait.
    const keep = reloading.current;
    reloading.current = false;
    setResult((previous) => (keep && previous.state === 'ready' ? previous : { state: 'loading' }));
    load().then(
      (data) => current && setResult({ state: 'ready', data }),
      (error: Error) => current && setResult({ state: 'failed', error }),
    );
    return () => {
      current = false;
    };
    // `load` is a new function on every render; the caller names what it depends on.
  }, [...dependencies, generation]);

  return { ...result, reload };
}
