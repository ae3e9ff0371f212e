import { useState } from 'preact/hooks';

import { api, type ConsultSummary, type Me, type Priority, type StudySummary } from '../api.js';
import { displayName, useI18n } from '../i18n.js';
import { refusalText } from '../reasons.js';
import { navigate } from '../router.js';
import { AttachmentPicker, reportAttachmentError, sendAttachments, type PickedAttachment } from './attachments.js';
import { Link } from './link.js';
import { PrioritySelect } from './priority-select.js';

/** One patient's studies, as the form offers them: a consult is about one patient. */
interface PatientGroup {
  key: string;
  name: string;
  patientId: string;
  studies: StudySummary[];
}

function groupByPatient(studies: StudySummary[]): PatientGroup[] {
  const groups = new Map<string, PatientGroup>();
  for (const study of studies) {
    const key = study.patient.pseudonymId;
    const group = groups.get(key) ?? { key, name: displayName(study.identity?.name) || study.patient.pseudonymName, patientId: study.identity?.id ?? '', studies: [] };
    group.studies.push(study);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Creates a consult from the studies just uploaded: reading centre, clinical question, priority.
 * Studies are offered per patient and only one patient's can be chosen (the server refuses
 * more, too); studies already in an open consult are named, not offered. Nothing is checked
 * in advance unless all offered studies are of one patient.
 */
export function ConsultForm(props: { me: Me; studies: StudySummary[]; missingFiles?: number; preselected?: string[] }) {
  const { t, language } = useI18n();
  const offered = props.studies.filter((s) => !s.consultId);
  const taken = props.studies.filter((s) => s.consultId);
  const groups = groupByPatient(offered);
  const [centre, setCentre] = useState(props.me.readingCentres[0]?.id ?? '');
  const [question, setQuestion] = useState('');
  const [history, setHistory] = useState('');
  const [attachments, setAttachments] = useState<PickedAttachment[]>([]);
  const [priority, setPriority] = useState<Priority>('routine');
  // A coordinator's consults are for patients abroad by default; anyone who sends may mark one.
  const [preArrival, setPreArrival] = useState(props.me.user.role === 'coordinator');
  const [patientLanguage, setPatientLanguage] = useState<'zh-CN' | 'en'>('en');
  const [arrivalDate, setArrivalDate] = useState('');
  const [selected, setSelected] = useState(
    new Set(props.preselected?.filter((id) => offered.some((s) => s.id === id)) ?? (groups.length === 1 ? groups[0]!.studies.map((s) => s.id) : [])),
  );
  const [busy, setBusy] = useState(false);
  // Files of this upload that were refused or failed: the studies are incomplete, so sending needs a deliberate yes.
  const missing = props.missingFiles ?? 0;
  const [sendIncomplete, setSendIncomplete] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosenPatient = offered.find((s) => selected.has(s.id))?.patient.pseudonymId;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { consult } = await api<{ consult: ConsultSummary }>('/api/consults', {
        method: 'POST',
        body: { readingCentreId: centre, studyIds: [...selected], clinicalQuestion: question, clinicalHistory: history, priority, preArrival: preArrival ? { patientLanguage, arrivalDate: arrivalDate || null } : null },
      });
      // The consult exists now: a refused attachment is reported on its page, where it can be added again.
      await sendAttachments(consult.id, attachments).catch((caught: unknown) => reportAttachmentError(consult.id, refusalText(caught, language)));
      navigate(`/consults/${consult.id}`);
    } catch (caught) {
      setError(refusalText(caught, language));
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
        {groups.length > 1 && <p class="muted" data-testid="consult-one-patient">{t('consultForm.onePatient')}</p>}
        {offered.length === 0 && <p class="muted" data-testid="consult-nothing-offered">{t('consultForm.nothingOffered')}</p>}
        {groups.map((group) => (
          <div key={group.key} class="patient-group" data-testid="consult-patient" data-patient={group.key}>
            <div class="patient-group-name">
              <bdi>{group.name}</bdi>
              {group.patientId && <span class="muted"> · {group.patientId}</span>}
            </div>
            {group.studies.some((s) => s.identity?.identityConflict) && (
              <p class="warning" data-testid="identity-conflict">
                {t('study.identityConflictHelp')}
              </p>
            )}
            {group.studies.map((study) => (
              <label key={study.id} class="checkbox">
                <input
                  type="checkbox"
                  data-testid="consult-study"
                  checked={selected.has(study.id)}
                  disabled={chosenPatient !== undefined && chosenPatient !== group.key}
                  onChange={() => toggle(study.id)}
                />
                {study.studyDate ?? '—'} · {study.description ?? ''} · {study.modalities.join('/')} · {study.instanceCount}
              </label>
            ))}
          </div>
        ))}
        {taken.length > 0 && (
          <p class="muted" data-testid="consult-already-sent">
            {t('consultForm.alreadySent')}{' '}
            {[...new Set(taken.map((s) => s.consultId!))].map((id, n) => (
              <span key={id}>
                {n > 0 && ', '}
                <Link href={`/consults/${id}`}>{t('consultForm.openConsult')}</Link>
              </span>
            ))}
          </p>
        )}
      </fieldset>
      <label>
        {t('consultForm.question')}
        <textarea name="question" rows={3} required maxLength={4000} value={question} onInput={(e) => setQuestion(e.currentTarget.value)} />
      </label>
      <label>
        {t('consultForm.history')}
        <textarea name="history" rows={4} maxLength={8000} value={history} onInput={(e) => setHistory(e.currentTarget.value)} placeholder={t('consultForm.historyHint')} />
      </label>
      <AttachmentPicker value={attachments} onChange={setAttachments} />
      <label>
        {t('consultForm.priority')}
        <PrioritySelect name="priority" value={priority} onChange={setPriority} />
      </label>
      <label class="checkbox">
        <input type="checkbox" name="preArrival" checked={preArrival} onChange={(e) => setPreArrival(e.currentTarget.checked)} />
        {t('preArrival.checkbox')}
      </label>
      {preArrival && (
        <>
          <label>
            {t('preArrival.language')}
            <select name="patientLanguage" value={patientLanguage} onChange={(e) => setPatientLanguage(e.currentTarget.value as 'zh-CN' | 'en')}>
              <option value="en">{t('preArrival.english')}</option>
              <option value="zh-CN">{t('preArrival.chinese')}</option>
            </select>
          </label>
          <label>
            {t('preArrival.arrival')}
            <input type="date" name="arrivalDate" value={arrivalDate} onInput={(e) => setArrivalDate(e.currentTarget.value)} />
          </label>
        </>
      )}
      {missing > 0 && (
        <div class="warning" data-testid="consult-missing-files">
          <p>{t('consultForm.missingFiles').replace('{n}', String(missing))}</p>
          <label class="checkbox">
            <input type="checkbox" data-testid="consult-send-incomplete" checked={sendIncomplete} onChange={(e) => setSendIncomplete(e.currentTarget.checked)} />
            {t('consultForm.sendIncomplete')}
          </label>
        </div>
      )}
      {error && (
        <p class="error" data-testid="consult-error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy || selected.size === 0 || !centre || (missing > 0 && !sendIncomplete)} data-testid="create-consult">
        {t('consultForm.submit')}
      </button>
    </form>
  );
}
