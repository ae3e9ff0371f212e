import { useEffect, useState } from 'preact/hooks';

import { api, type ConsultSummary, type Me, type StudySummary } from '../api.js';
import { ConsultForm } from '../components/consult-form.js';
import { ConsultTable } from '../components/consult-table.js';
import { Link } from '../components/link.js';
import { PixelReview } from '../components/pixel-review.js';
import { StudyTable } from '../components/study-table.js';
import { PeopleAdmin } from './people.js';
import { useI18n } from '../i18n.js';
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
      {role === 'radiographer' && (
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
      {role === 'specialist' && <Worklist me={props.me} />}
      {role === 'referring_doctor' && <Consults me={props.me} />}
    </main>
  );
}

/**
 * The radiographer's inbox: studies not yet in a consult, with their held images to review and
 * the consult form, so studies sent earlier (or by the command line) are sent on from here
 * without uploading them again.
 */
function Inbox(props: { me: Me }) {
  const { t } = useI18n();
  const [studies, setStudies] = useState<StudySummary[] | null>(null);
  useEffect(() => {
    api<{ studies: StudySummary[] }>('/api/studies?inbox=true').then((body) => setStudies(body.studies));
  }, []);
  const held = studies?.filter((s) => (s.pendingReviewCount ?? 0) > 0) ?? [];
  return (
    <section>
      <h2>{t('landing.inbox')}</h2>
      {studies ? <StudyTable studies={studies} testId="inbox" /> : <p>{t('loading')}</p>}
      {held.length > 0 && <PixelReview studies={held} />}
      {studies && studies.length > 0 && <ConsultForm me={props.me} studies={studies} />}
    </section>
  );
}

function Consults(props: { me: Me }) {
  const { t } = useI18n();
  const [consults, setConsults] = useState<ConsultSummary[] | null>(null);
  useEffect(() => {
    api<{ consults: ConsultSummary[] }>('/api/consults').then((body) => setConsults(body.consults));
  }, []);
  return consults ? <ConsultTable me={props.me} consults={consults} /> : <p>{t('loading')}</p>;
}
