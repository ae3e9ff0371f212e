import { render } from 'preact';

import { App } from './app.js';
import { startReadingReads } from './early-reads.js';
import { loadReadingPage } from './reading-page.js';
import { matchPath } from './router.js';
import './styles.css';

// A reading link opened directly (bookmark, reload, a link in a message): the reading chunk
// and the consult's first reads start now, in parallel with the session check.
const reading = matchPath('/consults/:id/read', location.pathname);
if (reading?.id) {
  startReadingReads(reading.id);
  void loadReadingPage().catch(() => undefined); // the reading route reports a failure
}

render(<App />, document.getElementById('app')!);
