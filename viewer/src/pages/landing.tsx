import { useEffect, useMemo, useState } from 'preact/hooks';

import { api, sendsStudies, type ConsultSummary, type Me, type StudySummary } from '../api.js';
import { BoardList } from '../components/boards.js';
import { ConsultForm } from '../components/consult-form.js';
import { ConsultTable, newReportsFirst } from '../components/consult-table.js';
import { Link } from '../components/link.js';
import { PixelReview } from '../components/pixel-review.js';
import { StudyTable } from '../components/study-table.js';
import { PeopleAdmin } from './people.js';
import { formatDateTime, useI18n } from '../i18n.js';
import { refusalText } from '../reasons.js';
import { navigate } from '../router.js';
import { Worklist } from './worklist.js';

/** The first page after login, one per role. */
export function LandingPage(props: { me: Me }) {
  const { t } = useI18n();
  const role = props.me.user.role;
  return (
    <main class="page landing" data-testid={`landing-${role}`}>
      <h1>{t(`landing.${role}.title`)}</h1>
      <p class="intro">{t(`landing.${role}.intro`)}</p>
      {role === 'admin' && <PeopleAdmin selfId={props.me.user.id} />}
      {sendsStudies(role) && (
        <>
          <p>
            <Link href="/upload" class="button" testId="go-upload">
              {t('nav.upload')}
            </Link>
          </p>
          <Inbox me={props.me} />
          <h2>{t('landing.radiographer.consults')}</h2>
          <Consults me={props.me} />
          {props.me.readingCentres.length > 0 && (
            <section>
              <h2>{t('landing.readingCentres')}</h2>
              <ul>
                {props.me.readingCentres.map((centre) => (
                  <li key={centre.id}>{centre.name}</li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
      {(role === 'specialist' || role === 'referring_doctor') && <BoardList />}
      {role === 'specialist' && <Worklist me={props.me} />}
      {role === 'referring_doctor' && <Consults me={props.me} />}
    </main>
  );
}

/**
 * The radiographer's inbox: studies not yet in a consult, each with what can be done next:
 * review its held images, send it in a new consult, or add it to an open consult of the same
 * patient, so studies sent earlier (or by the command line) go on from here without uploading
 * them again.
 */
function Inbox(props: { me: Me }) {
  const { t, language } = useI18n();
  const [studies, setStudies] = useState<StudySummary[] | null>(null);
  const [openConsults, setOpenConsults] = useState<ConsultSummary[]>([]);
  const [reviewing, setReviewing] = useState<StudySummary[] | null>(null);
  const [consultFor, setConsultFor] = useState<string[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const load = async () => {
    const [inbox, consults] = await Promise.all([
      api<{ studies: StudySummary[] }>('/api/studies?inbox=true'),
      api<{ consults: ConsultSummary[] }>('/api/consults'),
    ]);
    setStudies(inbox.studies);
    setOpenConsults(consults.consults.filter((c) => c.sendingHospital.id === props.me.tenant.id && (c.status === 'new' || c.status === 'in_progress')));
  };
  useEffect(() => {
    load().catch((caught: unknown) => setError(refusalText(caught, language)));
  }, []);

  const show = (testId: string) => requestAnimationFrame(() => document.querySelector(`[data-testid=${testId}]`)?.scrollIntoView({ block: 'start' }));
  const addTo = async (consult: ConsultSummary, study: StudySummary) => {
    setError(null);
    try {
      await api(`/api/consults/${consult.id}/studies`, { method: 'POST', body: { studyIds: [study.id] } });
      navigate(`/consults/${consult.id}`);
    } catch (caught) {
      setError(refusalText(caught, language));
    }
  };

  // The same array while the inbox is unchanged: pixel review reloads its images when its studies change.
  const held = useMemo(() => studies?.filter((s) => (s.pendingReviewCount ?? 0) > 0 || (s.scanningCount ?? 0) > 0) ?? [], [studies]);
  const actions = (study: StudySummary) => {
    const samePatient = openConsults.filter((c) => c.studies.some((s) => s.patient.pseudonymId === study.patient.pseudonymId));
    return (
      <>
        {(study.pendingReviewCount ?? 0) > 0 && (
          <button type="button" class="secondary" data-testid="inbox-review" onClick={() => (setReviewing([study]), show('pixel-review'))}>
            {t('inbox.review')}
          </button>
        )}
        <button type="button" class="secondary" data-testid="inbox-create-consult" onClick={() => (setConsultFor([study.id]), show('consult-form'))}>
          {t('inbox.createConsult')}
        </button>
        {samePatient.map((consult) => (
          <button key={consult.id} type="button" class="secondary" data-testid="inbox-add-to-consult" title={consult.clinicalQuestion} onClick={() => addTo(consult, study)}>
            {t('inbox.addToConsult')} · {formatDateTime(consult.createdAt, language)}
          </button>
        ))}
      </>
    );
  };
  return (
    <section>
      <h2>{t('landing.inbox')}</h2>
      {error && (
        <p class="error" role="alert" data-testid="inbox-error">
          {error}
        </p>
      )}
      {studies ? <StudyTable studies={studies} testId="inbox" actions={actions} /> : <p>{t('loading')}</p>}
      {held.length > 0 && <PixelReview studies={reviewing ?? held} onDecided={() => void load()} />}
      {studies && studies.length > 0 && <ConsultForm key={consultFor?.join() ?? 'all'} me={props.me} studies={studies} preselected={consultFor} />}
    </section>
  );
}

function Consults(props: { me: Me }) {
  const { t } = useI18n();
  const [consults, setConsults] = useState<ConsultSummary[] | null>(null);
  useEffect(() => {
    api<{ consults: ConsultSummary[] }>('/api/consults').then((body) => setConsults(body.consults));
  }, []);
  // The sending hospital comes for its results: new reports first.
  const shown = useMemo(() => (consults && props.me.tenant.kind !== 'reading' ? newReportsFirst(consults) : consults), [consults]);
  return shown ? <ConsultTable me={props.me} consults={shown} /> : <p>{t('loading')}</p>;
}
