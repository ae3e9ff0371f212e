import { useState } from 'preact/hooks';

import { api, ApiError, type ConsultSummary, type Me, type Priority, type StudySummary } from '../api.js';
import { useI18n } from '../i18n.js';
import { navigate } from '../router.js';

/** Creates a consult from inbox studies: reading centre, clinical question, priority. */
export function ConsultForm(props: { me: Me; studies: StudySummary[] }) {
  const { t } = useI18n();
  const [centre, setCentre] = useState(props.me.readingCentres[0]?.id ?? '');
  const [question, setQuestion] = useState('');
  const [priority, setPriority] = useState<Priority>('routine');
  const [selected, setSelected] = useState(new Set(props.studies.map((s) => s.id)));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { consult } = await api<{ consult: ConsultSummary }>('/api/consults', {
        method: 'POST',
        body: { readingCentreId: centre, studyIds: [...selected], clinicalQuestion: question, priority },
      });
      navigate(`/consults/${consult.id}`);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };

  return (
    <form class="card wide consult-form" onSubmit={submit} data-testid="consult-form">
      <h2>{t('consultForm.title')}</h2>
      <label>
        {t('consultForm.centre')}
        <select value={centre} onChange={(e) => setCentre(e.currentTarget.value)} name="centre" required>
          {props.me.readingCentres.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>{t('consultForm.studies')}</legend>
        {props.studies.map((study) => (
          <label key={study.id} class="checkbox">
            <input type="checkbox" checked={selected.has(study.id)} onChange={() => toggle(study.id)} />
            <bdi>{study.identity?.name || study.patient.pseudonymName}</bdi> · {study.studyDate ?? '—'} · {study.description ?? ''} · {study.modalities.join('/')} · {study.instanceCount}
          </label>
        ))}
      </fieldset>
      <label>
        {t('consultForm.question')}
        <textarea name="question" rows={3} required maxLength={4000} value={question} onInput={(e) => setQuestion(e.currentTarget.value)} />
      </label>
      <label>
        {t('consultForm.priority')}
        <select name="priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value as Priority)}>
          {(['routine', 'urgent', 'stat'] as const).map((p) => (
            <option key={p} value={p}>
              {t(`priority.${p}`)}
            </option>
          ))}
        </select>
      </label>
      {error && <p class="error">{error}</p>}
      <button type="submit" disabled={busy || selected.size === 0 || !centre} data-testid="create-consult">
        {t('consultForm.submit')}
      </button>
    </form>
  );
}
