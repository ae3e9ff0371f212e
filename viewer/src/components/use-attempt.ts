import { useState } from 'preact/hooks';

import { useI18n } from '../i18n.js';
import { refusalText } from '../reasons.js';

/**
 * The busy flag and the refusal of an admin page's actions: `attempt` runs one action, marks
 * the page busy meanwhile (buttons disabled) and keeps the server's refusal, in the user's
 * language, for the page to show.
 */
export function useAttempt() {
  const { language } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function attempt(action: () => Promise<void>) {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (caught) {
      setError(refusalText(caught, language));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, attempt };
}
