/**
 * The reading page and Cornerstone (a 4 MB chunk: a few hundred milliseconds to download and
 * compile) load once per page: when a reading route is opened, or ahead of time while a
 * reader's worklist sits idle, so that opening a consult from it waits only for the images.
 */
type ReadingModule = typeof import('./pages/read.js');

let loading: Promise<ReadingModule> | undefined;

export function loadReadingPage(): Promise<ReadingModule> {
  loading ??= import('./pages/read.js').catch((error: unknown) => {
    loading = undefined; // a later attempt may succeed (a deploy replaced the chunk, the link came back)
    throw error;
  });
  return loading;
}

/** Loads and readies the reading page when the browser is idle; returns a cancel function for an effect. */
export function preloadReadingPage(): () => void {
  const load = () =>
    void loadReadingPage()
      .then((page) => page.prepareReading())
      .catch(() => undefined); // opening a consult reports the failure
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(load, { timeout: 2000 });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(load, 200);
  return () => clearTimeout(id);
}
