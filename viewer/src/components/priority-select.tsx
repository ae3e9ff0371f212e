import type { Priority } from '../api.js';
import { useI18n } from '../i18n.js';

/** A consult's priority, routine first (the usual choice), in the UI's language. */
export function PrioritySelect(props: { name: string; value: Priority; onChange: (priority: Priority) => void }) {
  const { t } = useI18n();
  return (
    <select name={props.name} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as Priority)}>
      {(['routine', 'urgent', 'stat'] as const).map((p) => (
        <option key={p} value={p}>
          {t(`priority.${p}`)}
        </option>
      ))}
    </select>
  );
}
