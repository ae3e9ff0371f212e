import { useEffect, useState } from 'preact/hooks';

import { api, type Me } from '../api.js';
import { formatDateTime, useI18n, type MessageKey } from '../i18n.js';
import { refusalText } from '../reasons.js';

/** A consult's referral to another centre, as `GET /api/consults/{id}/referral` answers it. */
export interface Referral {
  id: string;
  status: 'awaiting-consent' | 'declined' | 'open' | 'submitted' | 'returned' | 'countersigned';
  kind: 'union' | 'partner';
  reason: string;
  fromCentre: { id: string; name: string };
  toCentre: { id: string; name: string };
  requestedBy: { displayName: string };
  requestedAt: string;
  consent: { by: { displayName: string }; at: string } | null;
  partnerReader: { displayName: string } | null;
  submittedAt: string | null;
  submittedVersion: number | null;
  countersignedBy: { displayName: string } | null;
  countersignedAt: string | null;
  comment: string | null;
}

/** A worklist's mark on a referred consult: from which centre to which. */
export function ReferralBadge(props: { referral: { status: string; fromCentre: { name: string }; toCentre: { name: string } } | null | undefined }) {
  const { t } = useI18n();
  if (!props.referral || props.referral.status === 'declined') return null;
  return (
    <span class="badge nowrap" data-testid="referral-badge">
      {fill(t('referral.badge'), { from: props.referral.fromCentre.name, to: props.referral.toCentre.name })}
    </span>
  );
}

const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? '');

/**
 * Referral on the consult page, for each side: the reading centre refers (to a centre its
 * relationships allow), returns or countersigns; the sending hospital consents or declines;
 * the partner submits its report; everyone sees who read it and who countersigned.
 */
export function ReferralPanel(props: { consultId: string; me: Me; consult: { sendingHospital: { id: string }; readingCentre: { id: string }; status: string }; onChanged?: () => void }) {
  const { t, language } = useI18n();
  const [referral, setReferral] = useState<Referral | null>(null);
  const [centres, setCentres] = useState<{ id: string; name: string; kind: string }[]>([]);
  const [error, setError] = useState('');
  const path = `/api/consults/${encodeURIComponent(props.consultId)}`;
  const load = () =>
    api<{ referral: Referral | null; canReferTo: { id: string; name: string; kind: string }[] }>(`${path}/referral`)
      .then((body) => {
        setReferral(body.referral);
        setCentres(body.canReferTo);
      })
      .catch(() => setReferral(null));
  useEffect(() => {
    void load();
  }, [props.consultId]);

  const act = async (step: string, body?: unknown) => {
    setError('');
    try {
      await api(step, { method: 'POST', ...(body !== undefined && { body }) });
      await load();
      props.onChanged?.();
    } catch (caught) {
      setError(refusalText(caught, language));
    }
  };

  const tenant = props.me.tenant.id;
  const role = props.me.user.role;
  const firstCentre = props.consult.readingCentre.id === tenant;
  const sender = props.consult.sendingHospital.id === tenant && role !== 'admin';
  const partner = referral?.toCentre.id === tenant;
  const active = referral && ['awaiting-consent', 'open', 'submitted', 'returned'].includes(referral.status);
  const open = props.consult.status === 'new' || props.consult.status === 'in_progress';
  const canRefer = firstCentre && (role === 'specialist' || role === 'admin') && !active && open && centres.length > 0 && referral?.status !== 'countersigned';
  if (!referral && !canRefer) return null;

  return (
    <section class="referral" data-testid="referral">
      <h2>{t('referral.title')}</h2>
      {referral && (
        <>
          <p data-testid="referral-status">
            {fill(t('referral.summary'), { to: referral.toCentre.name, kind: t(referral.kind === 'partner' ? 'referral.kind.partner' : 'referral.kind.union'), by: referral.requestedBy.displayName })}{' '}
            <strong>{t(`referral.status.${referral.status}` as MessageKey)}</strong>
          </p>
          <p data-testid="referral-reason">
            {t('referral.reason')}: <bdi>{referral.reason}</bdi>
          </p>
          {referral.consent && (
            <p data-testid="referral-consent">{fill(t('referral.consented'), { by: referral.consent.by.displayName, time: formatDateTime(referral.consent.at, language) })}</p>
          )}
          {referral.partnerReader && (
            <p data-testid="referral-reader">{fill(t('referral.readBy'), { reader: referral.partnerReader.displayName, centre: referral.toCentre.name })}</p>
          )}
          {referral.countersignedBy && referral.countersignedAt && (
            <p data-testid="referral-countersigned">
              {fill(t('referral.countersignedBy'), { by: referral.countersignedBy.displayName, centre: referral.fromCentre.name, time: formatDateTime(referral.countersignedAt, language) })}
            </p>
          )}
          {referral.comment && referral.status === 'returned' && (
            <p data-testid="referral-comment">
              {t('referral.comment')}: <bdi>{referral.comment}</bdi>
            </p>
          )}
        </>
      )}
      {sender && referral?.status === 'awaiting-consent' && (
        <p>
          {t('referral.consentAsk')}{' '}
          <button type="button" data-testid="referral-consent-button" onClick={() => void act(`${path}/referral/consent`)}>
            {t('referral.consent')}
          </button>{' '}
          <button type="button" class="secondary" data-testid="referral-decline-button" onClick={() => void act(`${path}/referral/decline`)}>
            {t('referral.decline')}
          </button>
        </p>
      )}
      {partner && role === 'specialist' && (referral?.status === 'open' || referral?.status === 'returned') && (
        <p>
          <button type="button" data-testid="referral-submit-button" onClick={() => void submitLatest()}>
            {fill(t('referral.submit'), { centre: referral.fromCentre.name })}
          </button>
        </p>
      )}
      {firstCentre && role === 'specialist' && referral?.status === 'submitted' && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            const comment = new FormData(event.currentTarget).get('comment');
            void act(`${path}/referral/return`, { comment });
          }}
        >
          <button type="button" data-testid="referral-countersign-button" onClick={() => void act(`${path}/report/sign`, { version: referral.submittedVersion, kind: 'final' })}>
            {t('referral.countersign')}
          </button>
          <label>
            {t('referral.comment')} <textarea name="comment" required maxLength={4000} />
          </label>
          <button type="submit" class="secondary" data-testid="referral-return-button">
            {t('referral.return')}
          </button>
        </form>
      )}
      {canRefer && (
        <form
          data-testid="referral-form"
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            void act(`${path}/referral`, { toCentreId: form.get('toCentreId'), reason: form.get('reason') });
          }}
        >
          <label>
            {t('referral.to')}{' '}
            <select name="toCentreId">
              {centres.map((c) => (
                <option value={c.id} key={c.id}>
                  {c.name} ({t(c.kind === 'partner' ? 'referral.kind.partner' : 'referral.kind.union')})
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('referral.reason')} <textarea name="reason" required minLength={3} maxLength={2000} />
          </label>
          <button type="submit" data-testid="referral-request-button">
            {t('referral.request')}
          </button>
        </form>
      )}
      {error && (
        <p class="error" role="alert" data-testid="referral-error">
          {error}
        </p>
      )}
    </section>
  );

  /** The partner submits the report as last saved. */
  async function submitLatest() {
    setError('');
    try {
      const { report } = await api<{ report: { version: number } | null }>(`${path}/report`);
      if (!report) throw new Error(t('referral.noReport'));
      await act(`${path}/referral/submit`, { version: report.version });
    } catch (caught) {
      setError(caught instanceof Error && !('code' in caught) ? caught.message : refusalText(caught, language));
    }
  }
}
