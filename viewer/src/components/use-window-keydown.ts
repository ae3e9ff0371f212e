import { useEffect, useRef } from 'preact/hooks';

/**
 * Calls the latest `handler` for every keydown on the window. The listener is added once; the
 * handler is read from a ref, so it sees the current render's state without re-subscribing
 * on every render (the reading page renders at scroll and cine rate).
 */
export function useWindowKeydown(handler: (event: KeyboardEvent) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => latest.current(event);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
