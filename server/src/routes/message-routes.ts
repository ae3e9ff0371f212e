import { Hono } from 'hono';
import { z } from 'zod';

import type { AppUser, MessageSide, NewEmail, Repositories } from '@yunzhen/db';

import type { AppEnv, Principal } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireUser } from '../auth/authenticate.js';
import { AppError, notFound } from '../errors.js';
import type { Vault } from '../vault/vault.js';
import { readJson } from '../validation.js';
import { visibleConsult, type VisibleConsult } from './consult-access.js';
import { consultIdentities, identityIn } from './document-identity.js';

const text = z.string().trim().max(8000);
const MAX_MESSAGE_ATTACHMENTS = 5;
const newMessage = z
  .object({
    kind: z.enum(['question', 'request', 'answer', 'note']),
    text: z.object({ 'zh-CN': text.optional(), en: text.optional() }).strict(),
    /** Documents sent with the message: attachments of this consult, uploaded by the hospital first. */
    attachmentIds: z.array(z.string().uuid()).max(MAX_MESSAGE_ATTACHMENTS).default([]),
  })
  .refine((m) => Boolean(m.text['zh-CN'] || m.text.en), { message: 'a message needs text in Chinese or English', path: ['text'] });

const readMark = z.object({ upTo: z.string().datetime() });

/** Who writes on either side: at the hospital those who send and receive, at the centre those who read. */
const writers: Record<MessageSide, AppUser['role'][]> = { sender: ['radiographer', 'coordinator', 'referring_doctor'], reader: ['specialist'] };

const kindWords = {
  question: { 'zh-CN': '新提问', en: 'New question' },
  request: { 'zh-CN': '新请求', en: 'New request' },
  answer: { 'zh-CN': '新回答', en: 'New answer' },
  note: { 'zh-CN': '新留言', en: 'New message' },
} as const;

export interface MessageDeps {
  repos: Repositories;
  vault: Vault;
  audit: AuditWriter;
  now: () => Date;
  /** Where the e-mail's link points (PUBLIC_URL); without one, no link. */
  publicUrl: string | undefined;
  /** Whether e-mail is configured (SMTP_URL): without it, notices are in the app only. */
  email: boolean;
}

/**
 * The consult's conversation between the sending hospital and the reading centre: questions,
 * requests ("please send the prior CT"), answers, each with text in Chinese, English or both,
 * and from the hospital, documents (the consult's attachments, so each is checked for the
 * patient's identity and reaches the reading centre only once released, redacted if it was).
 * The reading centre knows the patient by pseudonym only, so a message from the hospital that
 * names the patient is refused, and the e-mail notices carry neither patient nor message text.
 */
export function messageRoutes(deps: MessageDeps) {
  const { repos } = deps;

  const sideOf = (principal: Principal, consult: VisibleConsult): MessageSide => (consult.sending_tenant_id === principal.tenant.id ? 'sender' : 'reader');

  /** The other side's people to tell: the reader who claimed it (else the centre's specialists); the radiographer who sent it and the referring doctors. */
  async function recipients(consult: VisibleConsult, to: MessageSide, authorId: string): Promise<AppUser[]> {
    const tenantId = to === 'reader' ? consult.reading_tenant_id : consult.sending_tenant_id;
    const active = (await repos.users.listByTenant(tenantId)).filter((u) => !u.disabled_at && u.id !== authorId);
    if (to === 'reader') {
      const claimer = active.find((u) => u.id === consult.claimed_by);
      return claimer ? [claimer] : active.filter((u) => u.role === 'specialist');
    }
    return active.filter((u) => u.id === consult.created_by || u.role === 'referring_doctor');
  }

  function notice(consult: VisibleConsult, kind: keyof typeof kindWords, from: Principal, to: MessageSide): Omit<NewEmail, 'to'> {
    const reference = consult.id.slice(0, 8).toUpperCase();
    const path = to === 'reader' ? `/consults/${consult.id}/read` : `/consults/${consult.id}`;
    const link = deps.publicUrl ? `${deps.publicUrl.replace(/\/$/, '')}${path}` : undefined;
    return {
      tenantId: to === 'reader' ? consult.reading_tenant_id : consult.sending_tenant_id,
      subject: `[云诊 Yunzhen] ${kindWords[kind]['zh-CN']} / ${kindWords[kind].en}: ${reference}`,
      body: [
        `${from.tenant.name} 在会诊 ${reference} 中留下了${kindWords[kind]['zh-CN']}。请登录云诊查看。`,
        `${from.tenant.name} wrote on consult ${reference} (${kindWords[kind].en.toLowerCase()}). Log in to Yunzhen to read it.`,
        ...(link ? ['', link] : []),
      ].join('\n'),
    };
  }

  return new Hono<AppEnv>()
    .get('/consults/:id/messages', async (c) => {
      const principal = requireUser(c);
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      const side = sideOf(principal, consult);
      const [messages, unread] = await Promise.all([repos.messages.list(consult.id), repos.messages.unreadByConsult(principal.user.id, side, [consult.id])]);
      // The thread is polled while open; the consult's documents are read only when a message sent some.
      const attachments = messages.some((m) => m.attachment_ids.length) ? await repos.consults.attachments(consult.id) : [];
      const byId = new Map(attachments.map((a) => [a.id, a]));
      // The reading centre sees a document once the hospital released it; a removed one is gone for both.
      const attachmentView = (id: string) => {
        const a = byId.get(id);
        return a ? [{ id: a.id, label: a.label, available: side === 'sender' || a.review === 'released' }] : [];
      };
      return c.json({
        messages: messages.map((m) => ({
          id: m.id,
          kind: m.kind,
          side: m.side,
          text: m.text,
          attachments: m.attachment_ids.flatMap(attachmentView),
          author: { displayName: m.author_name, mine: m.author_id === principal.user.id },
          createdAt: m.created_at.toISOString(),
        })),
        unread: unread.get(consult.id) ?? 0,
        canWrite: writers[side].includes(principal.user.role) && consult.status !== 'cancelled',
        canAttach: side === 'sender' && writers[side].includes(principal.user.role) && consult.status !== 'cancelled',
      });
    })
    .post('/consults/:id/messages', async (c) => {
      const principal = requireUser(c);
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      const side = sideOf(principal, consult);
      if (!writers[side].includes(principal.user.role)) throw new AppError('Forbidden', side === 'sender' ? 'radiographers and referring doctors write to the reading centre' : 'specialists write to the sending hospital');
      if (consult.status === 'cancelled') throw new AppError('ConsultClosed', 'the consult was cancelled');
      const input = await readJson(c, newMessage);
      if (side === 'sender') {
        // The hospital knows the patient; the reading centre must not learn who it is from a message.
        const named = identityIn(Object.values(input.text).join('\n'), await consultIdentities(repos, deps.vault, principal.tenant.id, consult.id));
        if (named.length) throw new AppError('MessageNamesPatient', `the message names the patient (${named.join(', ')}); the reading centre sees only a pseudonym`);
      }
      if (input.attachmentIds.length) {
        if (side !== 'sender') throw new AppError('Forbidden', 'documents are sent by the sending hospital');
        const ofConsult = new Set((await repos.consults.attachments(consult.id)).map((a) => a.id));
        if (!input.attachmentIds.every((id) => ofConsult.has(id))) throw notFound('attachment');
      }
      const to: MessageSide = side === 'sender' ? 'reader' : 'sender';
      const emails = deps.email ? (await recipients(consult, to, principal.user.id)).map((user) => ({ ...notice(consult, input.kind, principal, to), to: user.email })) : [];
      const text = Object.fromEntries(Object.entries(input.text).filter(([, value]) => value));
      const attachmentIds = [...new Set(input.attachmentIds)];
      const message = await repos.messages.post({ consultId: consult.id, authorId: principal.user.id, side, kind: input.kind, text, attachmentIds }, emails, deps.now());
      await deps.audit(c, { eventCode: AuditEvent.ProcedureRecord, action: 'C', outcome: Outcome.Success, objectType: 'consult_message', objectId: message.id, detail: { consultId: consult.id, kind: input.kind, notified: emails.length, attachments: attachmentIds.length } });
      return c.json({ message: { id: message.id, kind: message.kind, side, text, attachmentIds, createdAt: message.created_at.toISOString() } }, 201);
    })
    .post('/consults/:id/messages/read', async (c) => {
      const principal = requireUser(c);
      const consult = await visibleConsult(repos, principal, c.req.param('id'));
      const { upTo } = await readJson(c, readMark);
      // Never later than now: a client clock ahead would otherwise hide messages yet to come.
      const at = new Date(Math.min(Date.parse(upTo), deps.now().getTime()));
      await repos.messages.markRead(principal.user.id, consult.id, at);
      return c.json({ unread: (await repos.messages.unreadByConsult(principal.user.id, sideOf(principal, consult), [consult.id])).get(consult.id) ?? 0 });
    });
}
