import { useEffect, useRef, useState } from 'preact/hooks';

import { api } from '../api.js';
import { formatDateTime, useI18n, type Language, type MessageKey } from '../i18n.js';
import { refusalText } from '../reasons.js';
import { AttachmentPicker, sendAttachments, type AttachmentLabel, type PickedAttachment } from './attachments.js';

type Kind = 'question' | 'request' | 'answer' | 'note';

interface Message {
  id: string;
  kind: Kind;
  side: 'sender' | 'reader';
  text: Partial<Record<Language, string>>;
  author: { displayName: string; mine: boolean };
  /** Documents sent with it; the reading centre can open one once the hospital released it. */
  attachments: { id: string; label: AttachmentLabel; available: boolean }[];
  createdAt: string;
}

interface Thread {
  messages: Message[];
  unread: number;
  canWrite: boolean;
  /** The sending hospital sends documents with its messages. */
  canAttach: boolean;
}

/** New messages are looked for this often while the thread is open. */
const POLL_MS = 15_000;

/**
 * The consult's conversation: what the sending hospital and the reading centre wrote to each
 * other, oldest first, in the reader's language with the other language beneath when both were
 * written. Opening it marks it read. The hospital can send documents with a message: they are
 * the consult's attachments, reviewed for the patient's identity before the centre gets them.
 */
export function ConsultThread(props: { consultId: string; onUnread?: (unread: number) => void; onAttached?: () => void }) {
  const { t, language } = useI18n();
  const [thread, setThread] = useState<Thread | null>(null);
  const [kind, setKind] = useState<Kind>('question');
  const [text, setText] = useState('');
  const [otherText, setOtherText] = useState('');
  const [bilingual, setBilingual] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [documents, setDocuments] = useState<PickedAttachment[]>([]);
  // Documents already uploaded for a message the server then refused (it named the patient): sent again with the corrected text.
  const [uploaded, setUploaded] = useState<string[]>([]);
  const end = useRef<HTMLDivElement>(null);
  const other: Language = language === 'zh-CN' ? 'en' : 'zh-CN';

  // Follows new messages only for a reader who is looking at the thread's end: one working
  // further down the page (redacting a letter, reading the report) keeps their place. Measured
  // before the new messages render: they push the end down, out of sight.
  const following = useRef(true);
  const load = async () => {
    const loaded = await api<Thread>(`/api/consults/${encodeURIComponent(props.consultId)}/messages`);
    following.current = onScreen(end.current);
    setThread(loaded);
    const last = loaded.messages.at(-1);
    if (loaded.unread > 0 && last) {
      const { unread } = await api<{ unread: number }>(`/api/consults/${encodeURIComponent(props.consultId)}/messages/read`, { method: 'POST', body: { upTo: last.createdAt } });
      props.onUnread?.(unread);
    } else props.onUnread?.(loaded.unread);
  };

  useEffect(() => {
    void load().catch((caught: unknown) => setError(refusalText(caught, language)));
    const timer = setInterval(() => void load().catch(() => undefined), POLL_MS);
    return () => clearInterval(timer);
  }, [props.consultId]);
  useEffect(() => {
    if (following.current) end.current?.scrollIntoView?.({ block: 'nearest' });
  }, [thread?.messages.length]);

  async function send(event: Event) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      let attachmentIds = uploaded;
      if (documents.length) {
        attachmentIds = [...uploaded, ...(await sendAttachments(props.consultId, documents))];
        setUploaded(attachmentIds);
        setDocuments([]);
        props.onAttached?.();
      }
      const body = { kind, text: { [language]: text.trim() || undefined, ...(bilingual && { [other]: otherText.trim() || undefined }) }, attachmentIds };
      await api(`/api/consults/${encodeURIComponent(props.consultId)}/messages`, { method: 'POST', body });
      setUploaded([]);
      setText('');
      setOtherText('');
      await load();
    } catch (caught) {
      setError(refusalText(caught, language));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="consult-thread" data-testid="consult-thread" aria-label={t('thread.title')}>
      <h2>{t('thread.title')}</h2>
      {thread === null ? (
        !error && <p class="loading">{t('loading')}</p>
      ) : thread.messages.length === 0 ? (
        <p class="muted" data-testid="thread-empty">
          {t('thread.empty')}
        </p>
      ) : (
        <ol class="thread-messages">
          {thread.messages.map((m) => (
            <li key={m.id} class={`thread-message side-${m.side}${m.author.mine ? ' mine' : ''}`} data-testid="thread-message" data-kind={m.kind}>
              <header>
                <span class={`badge kind-${m.kind}`}>{t(`thread.kind.${m.kind}`)}</span> <bdi>{m.author.displayName}</bdi>
                <span class="muted">
                  {' '}
                  · {t(m.side === 'sender' ? 'thread.fromSender' : 'thread.fromReader')} · {formatDateTime(m.createdAt, language)}
                </span>
              </header>
              <p>
                <bdi>{m.text[language] ?? m.text[other]}</bdi>
              </p>
              {m.text[language] && m.text[other] && (
                <p class="muted other-language" lang={other}>
                  <bdi>{m.text[other]}</bdi>
                </p>
              )}
              {m.attachments.length > 0 && (
                <ul class="thread-attachments">
                  {m.attachments.map((a) => (
                    <li key={a.id} data-testid="thread-attachment" data-available={String(a.available)}>
                      {a.available ? (
                        <a href={`/api/consults/${encodeURIComponent(props.consultId)}/attachments/${a.id}`} target="_blank" rel="noopener">
                          {t(`attachments.${a.label}` as MessageKey)}.pdf
                        </a>
                      ) : (
                        <span class="muted">
                          {t(`attachments.${a.label}` as MessageKey)} · {t('thread.awaitingRelease')}
                        </span>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
      <div ref={end} />
      {error && (
        <p class="error" role="alert" data-testid="thread-error">
          {error}
        </p>
      )}
      {thread?.canWrite && (
        <form class="thread-compose" data-testid="thread-compose" onSubmit={(e) => void send(e)}>
          <label>
            {t('thread.kindLabel')}
            <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
              {(['question', 'request', 'answer', 'note'] as const).map((k) => (
                <option key={k} value={k}>
                  {t(`thread.kind.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('thread.text')}
            <textarea name="text" rows={3} maxLength={8000} lang={language} required={!bilingual} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <label class="checkbox">
            <input type="checkbox" name="bilingual" checked={bilingual} onChange={(e) => setBilingual(e.currentTarget.checked)} />
            {t('thread.addOther')}
          </label>
          {bilingual && (
            <label>
              {t('thread.otherText')}
              <textarea name="otherText" rows={3} maxLength={8000} lang={other} value={otherText} onInput={(e) => setOtherText(e.currentTarget.value)} />
            </label>
          )}
          {thread.canAttach && <AttachmentPicker value={documents} onChange={setDocuments} />}
          {uploaded.length > 0 && (
            <p class="muted" data-testid="thread-uploaded">
              {t('thread.uploaded').replace('{n}', String(uploaded.length))}
            </p>
          )}
          <p class="muted">{t('thread.noIdentity')}</p>
          <button type="submit" data-testid="thread-send" disabled={busy || !(text.trim() || (bilingual && otherText.trim()))}>
            {t('thread.send')}
          </button>
        </form>
      )}
    </section>
  );
}

/** "2 unread" beside a consult on a list, when the other side wrote something this user has not read. */
export function UnreadBadge(props: { count: number | undefined }) {
  const { t } = useI18n();
  if (!props.count) return null;
  return (
    <span class="badge unread" data-testid="unread-messages">
      {' '}
      {t('thread.unread').replace('{count}', String(props.count))}
    </span>
  );
}

/** Whether the element is in sight: inside the window and inside the nearest box that scrolls it (the reading page's dialog). */
function onScreen(element: Element | null): boolean {
  if (!element) return false;
  let top = 0;
  let bottom = window.innerHeight;
  for (let parent = element.parentElement; parent; parent = parent.parentElement) {
    if (!/auto|scroll/.test(getComputedStyle(parent).overflowY)) continue;
    const box = parent.getBoundingClientRect();
    top = Math.max(top, box.top);
    bottom = Math.min(bottom, box.bottom);
    break;
  }
  const rect = element.getBoundingClientRect();
  return rect.bottom >= top && rect.top <= bottom;
}
