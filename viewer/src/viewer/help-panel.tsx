import { useI18n } from '../i18n.js';
import { helpRows } from './shortcuts.js';

/** The keyboard shortcuts, from the same table the key handler uses. */
export function HelpPanel(props: { onClose: () => void }) {
  const { t } = useI18n();
  return (
    <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="dialog help-panel" role="dialog" aria-modal="true" aria-label={t('help.title')} data-testid="help-panel">
        <header>
          <h2>{t('help.title')}</h2>
          <button type="button" class="secondary" onClick={props.onClose}>
            {t('close')}
          </button>
        </header>
        <dl class="shortcut-list">
          {helpRows.map((row) => (
            <div key={row.label} class="shortcut-row">
              <dt>
                <kbd>{row.keys}</kbd>
              </dt>
              <dd>{t(row.label)}</dd>
            </div>
          ))}
          <div class="shortcut-row">
            <dt>
              <kbd>{t('help.wheel')}</kbd>
            </dt>
            <dd>{t('shortcut.scroll')}</dd>
          </div>
          <div class="shortcut-row">
            <dt>
              <kbd>{t('help.middleDrag')}</kbd>
            </dt>
            <dd>{t('tool.Pan')}</dd>
          </div>
          <div class="shortcut-row">
            <dt>
              <kbd>{t('help.rightDrag')}</kbd>
            </dt>
            <dd>{t('tool.Zoom')}</dd>
          </div>
        </dl>
      </div>
    </div>
  );
}
