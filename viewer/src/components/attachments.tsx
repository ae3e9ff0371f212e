import { useState } from 'preact/hooks';

import { api } from '../api.js';
import { useI18n, type MessageKey } from '../i18n.js';
import { refusalText } from '../reasons.js';

/** What an attachment is, from a fixed list: file names often carry the patient's name, so they are not kept. */
export const attachmentLabels = ['referral', 'prior-report', 'lab-result', 'other'] as const;
export type AttachmentLabel = (typeof attachmentLabels)[number];

export interface PickedAttachment {
  file: File;
  label: AttachmentLabel;
}

/** Sends PDF attachments to a consult, one request each; stops at the first refusal and says which file. */
export async function sendAttachments(consultId: string, picked: PickedAttachment[]): Promise<void> {
  for (const { file, label } of picked) {
    await api(`/api/consults/${consultId}/attachments?label=${label}`, { method: 'POST', body: file, contentType: 'application/pdf' });
  }
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
          accept="application/pdf,.pdf"
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
