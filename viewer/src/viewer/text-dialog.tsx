import { useState } from 'preact/hooks';

import { useI18n } from '../i18n.js';

/** Asks for a measurement label or an arrow's text. Enter saves, Escape cancels. */
export function TextDialog(props: { initial: string; onDone: (value: string | null) => void }) {
  const { t } = useI18n();
  const [value, setValue] = useState(props.initial);
  return (
    <div class="dialog-backdrop" role="dialog" aria-modal="true">
      <form
        class="dialog text-dialog"
        aria-label={t('measure.label')}
        data-testid="text-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          props.onDone(value.trim().slice(0, 200));
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onDone(null);
        }}
      >
        <label>
          {t('measure.label')}
          <input value={value} maxLength={200} autoFocus data-testid="text-dialog-input" onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
        </label>
        <div class="actions">
          <button type="submit" data-testid="text-dialog-ok">
            {t('ok')}
          </button>
          <button type="button" class="secondary" onClick={() => props.onDone(null)}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </div>
  );
}
