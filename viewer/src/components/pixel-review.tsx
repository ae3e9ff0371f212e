import { useEffect, useState } from 'preact/hooks';

import { api, type InstanceSummary, type StudySummary } from '../api.js';
import { dicomweb } from '../viewer/dicomweb-paths.js';
import { useI18n } from '../i18n.js';
import { reasonText } from '../reasons.js';
import { displayName } from './consult-form.js';

interface Held {
  study: StudySummary;
  instance: InstanceSummary;
}

/**
 * Images the engine flagged as possibly carrying burned-in identity (ultrasound, secondary
 * capture, BurnedInAnnotation YES…). The reading centre gets them only once a radiographer of
 * the sending hospital has looked and released them.
 */
export function PixelReview(props: { studies: StudySummary[] }) {
  const { t, language } = useI18n();
  const [held, setHeld] = useState<Held[] | null>(null);

  const load = async () => {
    const found: Held[] = [];
    for (const study of props.studies.filter((s) => (s.pendingReviewCount ?? 0) > 0)) {
      const detail = await api<{ instances: InstanceSummary[] }>(`/api/studies/${study.id}`);
      for (const instance of detail.instances) if (instance.pixelReview === 'pending') found.push({ study, instance });
    }
    setHeld(found);
  };
  useEffect(() => {
    void load();
  }, [props.studies]);

  const decide = async (item: Held, decision: 'release' | 'remove') => {
    await api(`/api/studies/${item.study.id}/pixel-review`, { method: 'POST', body: { [decision]: [item.instance.id] } });
    setHeld((current) => current?.filter((h) => h !== item) ?? null);
  };

  if (!held) return null;
  return (
    <section class="card wide" data-testid="pixel-review">
      <h2>{t('review.title')}</h2>
      <p class="intro">{t('review.intro')}</p>
      {held.length === 0 && <p data-testid="review-none">{t('review.none')}</p>}
      <div class="review-grid">
        {held.map((item) => (
          <figure key={item.instance.id} class="review-item" data-testid="review-item" data-study={item.study.id}>
            <img
              alt=""
              loading="lazy"
              src={dicomweb.rendered(item.study.studyInstanceUid, item.instance.seriesInstanceUid, item.instance.sopInstanceUid)}
            />
            <figcaption>
              <bdi>{item.study.identity ? displayName(item.study.identity.name) || '—' : item.study.patient.pseudonymName}</bdi> · {item.study.studyDate ?? '—'} ·{' '}
              <bdi>{item.study.description ?? ''}</bdi>
              <br />
              {item.instance.modality} · <bdi>{item.instance.seriesDescription ?? ''}</bdi> #{item.instance.instanceNumber ?? ''}
              <br />
              {t('review.reason')}: {item.instance.pixelReviewReasons.map((reason) => reasonText(reason, language)).join(language === 'zh-CN' ? '、' : ', ')}
            </figcaption>
            <div class="actions">
              <button type="button" onClick={() => decide(item, 'release')} data-testid="review-release">
                {t('review.release')}
              </button>
              <button type="button" class="secondary" onClick={() => decide(item, 'remove')} data-testid="review-remove">
                {t('review.remove')}
              </button>
            </div>
          </figure>
        ))}
      </div>
    </section>
  );
}
