// One clock for every countdown on the page, ticking once a second while anything watches it.
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let timer: number | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  timer ??= window.setInterval(() => listeners.forEach((l) => l()), 1000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      window.clearInterval(timer);
      timer = undefined;
    }
  };
}

/** Whole seconds, so that React reads the same value however often it asks within one second. */
const currentSecond = () => Math.floor(Date.now() / 1000) * 1000;

/** Milliseconds since the epoch, updated every second. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, currentSecond);
}
