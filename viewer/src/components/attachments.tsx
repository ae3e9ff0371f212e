import { useState } from 'preact/hooks';

import { api, type Attachment } from '../api.js';
import { useI18n, type MessageKey } from '../i18n.js';
import { refusalText } from '../reasons.js';
import { RedactionEditor } from './redaction-editor.js';

/** What an attachment is, from a fixed list: file names often carry the patient's name, so they are not kept. */
export const attachmentLabels = ['referral', 'prior-report', 'lab-result', 'other'] as const;
export type AttachmentLabel = (typeof attachmentLabels)[number];

export interface PickedAttachment {
  file: File;
  label: AttachmentLabel;
}

/** Photographs of a letter the server takes beside PDFs (it makes a one-page PDF of each). */
const photoTypes = ['image/jpeg', 'image/png'];

/** Sends attachments to a consult, one request each; stops at the first refusal and says which file. Returns the new attachments' ids. */
export async function sendAttachments(consultId: string, picked: PickedAttachment[]): Promise<string[]> {
  const ids: string[] = [];
  for (const { file, label } of picked) {
    const contentType = photoTypes.includes(file.type) ? file.type : 'application/pdf';
    const { attachment } = await api<{ attachment: { id: string } }>(`/api/consults/${consultId}/attachments?label=${label}`, { method: 'POST', body: file, contentType });
    ids.push(attachment.id);
  }
  return ids;
}

/** A refusal met while the consult form sent its attachments, shown once on the consult's page. */
let attachmentError: { consultId: string; text: string } | null = null;

export function reportAttachmentError(consultId: string, text: string): void {
  attachmentError = { consultId, text };
}

export function takeAttachmentError(consultId: string): string | null {
  const found = attachmentError?.consultId === consultId ? attachmentError.text : null;
  if (found) attachmentError = null;
  return found;
}

/** Choose PDF documents (referral letter, prior report, lab results) and say what each is. */
export function AttachmentPicker(props: { value: PickedAttachment[]; onChange: (value: PickedAttachment[]) => void }) {
  const { t } = useI18n();
  return (
    <fieldset data-testid="attachment-picker">
      <legend>{t('attachments.title')}</legend>
      {props.value.map((item, i) => (
        <div key={`${item.file.name}-${i}`} class="actions" data-testid="attachment-picked">
          <span class="file-name">{item.file.name}</span>
          <select
            aria-label={t('attachments.kind')}
            value={item.label}
            onChange={(e) => props.onChange(props.value.map((other, j) => (j === i ? { ...other, label: e.currentTarget.value as AttachmentLabel } : other)))}
          >
            {attachmentLabels.map((label) => (
              <option key={label} value={label}>
                {t(`attachments.${label}` as MessageKey)}
              </option>
            ))}
          </select>
          <button type="button" class="secondary small" onClick={() => props.onChange(props.value.filter((_, j) => j !== i))}>
            {t('attachments.remove')}
          </button>
        </div>
      ))}
      <label class="button secondary">
        {t('attachments.add')}
        <input
          type="file"
          accept="application/pdf,.pdf,image/jpeg,image/png"
          multiple
          hidden
          data-testid="attachment-input"
          onChange={(e) => {
            const input = e.currentTarget;
            const files = [...(input.files ?? [])].map((file) => ({ file, label: 'referral' as AttachmentLabel }));
            props.onChange([...props.value, ...files]);
            input.value = '';
          }}
        />
      </label>
    </fieldset>
  );
}

/** On the consult page: the sending hospital adds documents later (a lab result that came in after sending). */
export function AddAttachments(props: { consultId: string; onAdded: () => void }) {
  const { t, language } = useI18n();
  const [picked, setPicked] = useState<PickedAttachment[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(() => takeAttachmentError(props.consultId));
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      await sendAttachments(props.consultId, picked);
      setPicked([]);
      props.onAdded();
    } catch (caught) {
      setError(refusalText(caught, language));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="add-attachments" data-testid="add-attachments">
      <AttachmentPicker value={picked} onChange={setPicked} />
      {picked.length > 0 && (
        <button type="button" disabled={busy} onClick={send} data-testid="attachments-send">
          {t('attachments.send')} ({picked.length})
        </button>
      )}
      {error && (
        <p class="error" role="alert" data-testid="attachments-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** What the check found, in words: which identifiers on which pages, and pages without text. */
function checkSummary(check: Attachment['check'], t: (key: MessageKey) => string): string {
  if (!check) return t('attachments.notChecked');
  const parts: string[] = [];
  const kinds = [...new Set(check.findings.map((f) => f.kind))];
  for (const kind of kinds) {
    const pages = check.findings.filter((f) => f.kind === kind).map((f) => f.page);
    parts.push(t('attachments.found').replace('{what}', t(`attachments.kind.${kind}` as MessageKey)).replace('{pages}', pages.join(', ')));
  }
  const ocrPages = check.ocrPages ?? 0;
  if (ocrPages) parts.push(t('attachments.scannedRead').replace('{n}', String(ocrPages)));
  if (check.textPages + ocrPages < check.pages) parts.push(t('attachments.scanned').replace('{n}', String(check.pages - check.textPages - ocrPages)));
  return parts.length ? parts.join(' ') : t('attachments.clean');
}

/**
 * One document as the sending hospital sees it: whether the reading centre has it yet, what
 * the check found, and the decision: release (with a reason when the document names the
 * patient or could not be read in full) or remove.
 */
export function AttachmentReview(props: { consultId: string; attachment: Attachment; onChanged: () => void }) {
  const { t, language } = useI18n();
  const { attachment } = props;
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [redacting, setRedacting] = useState(false);
  const check = attachment.check;
  const doubtful = !check || check.findings.length > 0 || check.textPages + (check.ocrPages ?? 0) < check.pages;
  const act = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      props.onChanged();
    } catch (caught) {
      setError(refusalText(caught, language));
    }
  };
  const base = `/api/consults/${props.consultId}/attachments/${attachment.id}`;
  return (
    <li data-testid="attachment" data-review={attachment.review}>
      <a href={base}>{t(`attachments.${attachment.label}` as MessageKey)}.pdf</a>{' '}
      <span class={`badge ${attachment.review === 'pending' ? 'warning' : ''}`}>{t(attachment.review === 'pending' ? 'attachments.pending' : 'attachments.released')}</span>
      {attachment.redacted && (
        <>
          {' '}
          <span class="badge" data-testid="attachment-redacted">
            {t('attachments.redacted')}
          </span>{' '}
          <a href={`${base}?copy=redacted`}>{t('attachments.viewRedacted')}</a>
        </>
      )}
      {attachment.review === 'pending' && redacting && (
        <RedactionEditor consultId={props.consultId} attachment={attachment} onCancel={() => setRedacting(false)} onDone={() => (setRedacting(false), props.onChanged())} />
      )}
      {attachment.review === 'pending' && !redacting && (
        <div class={doubtful ? 'warning' : 'muted'}>
          <p data-testid="attachment-check">{checkSummary(check, t)}</p>
          {doubtful && (
            <label>
              {t('attachments.reason')}
              <input name="reason" data-testid="attachment-reason" minLength={3} maxLength={500} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </label>
          )}
          <div class="actions">
            <button
              type="button"
              data-testid="attachment-release"
              disabled={doubtful && reason.trim().length < 3}
              onClick={() => act(() => api(`${base}/release`, { method: 'POST', body: doubtful ? { reason } : {} }))}
            >
              {t(doubtful ? 'attachments.releaseAnyway' : 'attachments.release')}
            </button>
            {doubtful && check && (
              <button type="button" data-testid="attachment-redact" onClick={() => setRedacting(true)}>
                {t('attachments.redact')}
              </button>
            )}
            <button type="button" class="secondary" data-testid="attachment-remove" onClick={() => act(() => api(base, { method: 'DELETE' }))}>
              {t('attachments.remove')}
            </button>
          </div>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
