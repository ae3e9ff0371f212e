import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

/** A question to ask before leaving the page in the app (an upload under way), or null. */
let leaveQuestion: string | null = null;

/**
 * While `question` is set, leaving the page asks first: in-app links through `confirm`, closing
 * or reloading the tab through the browser's own prompt.
 */
export function guardLeaving(question: string | null): void {
  leaveQuestion = question;
}
window.addEventListener('beforeunload', (event) => {
  if (leaveQuestion) event.preventDefault();
});

/** Goes to an in-app path without reloading the page. */
export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  if (leaveQuestion && !confirm(leaveQuestion)) return;
  leaveQuestion = null;
  history.pushState(null, '', path);
  listeners.forEach((listener) => listener());
}

/** The current path; re-renders the caller on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return path;
}

/**
 * Matches `path` against a pattern like `/consults/:id`; returns the parameters or null.
 * Parameters are ids (letters, digits, `-`, `_`), taken as they are: pages put them into API
 * paths, so an address bar with `%2F`, `..` or `?` in a parameter matches no page at all.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const regex = new RegExp(
    '^' + pattern.replace(/:([a-zA-Z]+)/g, (_, name: string) => (names.push(name), '([A-Za-z0-9_-]+)')) + '/?$',
  );
  const match = regex.exec(path);
  if (!match) return null;
  return Object.fromEntries(names.map((name, i) => [name, match[i + 1]!]));
}

/** An in-app link: a real anchor (open in new tab works), client-side navigation on plain clicks. */
export function onLinkClick(event: MouseEvent, href: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(href);
}
