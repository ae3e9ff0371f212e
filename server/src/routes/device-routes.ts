import { Hono } from 'hono';
import { z } from 'zod';

import { DuplicateAeTitleError, type DicomDevice, type Repositories } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import { AuditEvent, Outcome, type AuditWriter } from '../audit.js';
import { requireRole } from '../auth/authenticate.js';
import { isAeTitle, parseCidr } from '../dimse/addresses.js';
import { AppError, notFound } from '../errors.js';
import { readJson } from '../validation.js';
import { isUuid } from './views.js';

const aeTitle = z
  .string()
  .transform((s) => s.trim())
  .refine(isAeTitle, 'an AE title is 1–16 characters (letters, digits, spaces, no backslash)');
const cidr = z
  .string()
  .max(64)
  .refine((s) => parseCidr(s) !== undefined, 'must be an address or CIDR such as 10.1.2.0/24')
  .transform((s) => s.trim());
const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or IP address');

/** A certificate's SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it, or bare hex. */
const certificateFingerprint = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/^sha256 fingerprint=/, '').replace(/[:\s]/g, ''))
  .refine((s) => /^[0-9a-f]{64}$/.test(s), 'must be a SHA-256 fingerprint: 64 hex digits, colons allowed');

const fields = z.object({
  name: z.string().trim().min(1).max(200),
  aeTitle,
  allowedCidrs: z.array(cidr).max(64),
  maySend: z.boolean(),
  mayReceive: z.boolean(),
  host: host.nullable(),
  port: z.number().int().min(1).max(65535).nullable(),
  enabled: z.boolean(),
  tls: z.boolean(),
  certificateSha256: certificateFingerprint.nullable(),
  autoConsult: z
    .object({
      readingCentreId: z.string().uuid(),
      priority: z.enum(['routine', 'urgent', 'stat']),
      quietSeconds: z.number().int().min(10).max(86_400),
      clinicalQuestion: z.string().trim().min(1).max(4000),
      onBehalfOf: z.string().uuid(),
    })
    .strict()
    .nullable(),
});
const newDevice = fields.extend({
  allowedCidrs: fields.shape.allowedCidrs.default([]),
  maySend: fields.shape.maySend.default(true),
  mayReceive: fields.shape.mayReceive.default(false),
  host: fields.shape.host.default(null),
  port: fields.shape.port.default(null),
  enabled: fields.shape.enabled.default(true),
  tls: fields.shape.tls.default(false),
  certificateSha256: fields.shape.certificateSha256.default(null),
  autoConsult: fields.shape.autoConsult.default(null),
});
const deviceChanges = fields.partial().strict();

type Fields = z.infer<typeof fields>;

/**
 * What a device needs to be usable: a sender needs an address to be recognised by, a receiver an
 * address to be reached at; TLS needs the server's certificate; a consult rule needs a sender, one
 * of the hospital's reading centres and a licensed radiographer of the hospital to send in whose name.
 */
async function checkComplete(device: Fields, context: { repos: Repositories; tenantId: string; tlsAvailable: boolean }): Promise<void> {
  if (device.tls && !context.tlsAvailable) {
    throw new AppError('InvalidRequest', 'DICOM TLS is not configured on this server (DICOM_TLS_CERT and DICOM_TLS_KEY)');
  }
  const rule = device.autoConsult;
  if (rule) {
    if (!device.maySend) throw new AppError('InvalidRequest', 'only a device that sends can have a rule that creates consults');
    const centres = await context.repos.tenants.readingCentresFor(context.tenantId);
    if (!centres.some((centre) => centre.id === rule.readingCentreId)) throw new AppError('InvalidRequest', 'invalid: autoConsult.readingCentreId is not a reading centre of this hospital');
    const radiographer = await context.repos.users.getInTenant(context.tenantId, rule.onBehalfOf);
    if (!radiographer || radiographer.role !== 'radiographer' || !radiographer.licensed || radiographer.disabled_at) {
      throw new AppError('InvalidRequest', 'invalid: autoConsult.onBehalfOf must be a licensed, active radiographer of this hospital');
    }
  }
  if (device.maySend && device.allowedCidrs.length === 0) {
    throw new AppError('InvalidRequest', 'a device that sends needs at least one allowed source address (CIDR)');
  }
  if (device.mayReceive && (!device.host || !device.port)) {
    throw new AppError('InvalidRequest', 'a receiving device needs its host and port');
  }
}

export function deviceView(d: DicomDevice) {
  return { id: d.id, ...fieldsOf(d), createdAt: d.created_at.toISOString(), updatedAt: d.updated_at.toISOString() };
}

function fieldsOf(d: DicomDevice): Fields {
  return {
    name: d.name,
    aeTitle: d.ae_title,
    allowedCidrs: d.allowed_cidrs,
    maySend: d.may_send,
    mayReceive: d.may_receive,
    host: d.host,
    port: d.port,
    enabled: d.enabled,
    tls: d.tls,
    certificateSha256: d.certificate_sha256,
    autoConsult: d.auto_consult_centre_id
      ? {
          readingCentreId: d.auto_consult_centre_id,
          priority: d.auto_consult_priority!,
          quietSeconds: d.auto_consult_quiet_seconds!,
          clinicalQuestion: d.auto_consult_question!,
          onBehalfOf: d.auto_consult_by!,
        }
      : null,
  };
}

/** A hospital admin's DICOM devices (PACS, modalities), within that hospital only; every change audited. */
export function deviceRoutes(deps: { repos: Repositories; audit: AuditWriter; now: () => Date; dicomTls: boolean }) {
  const { repos, audit, now } = deps;
  const context = (tenantId: string) => ({ repos, tenantId, tlsAvailable: deps.dicomTls });
  const audited = (c: Parameters<AuditWriter>[0], action: 'C' | 'U' | 'D', device: DicomDevice, changed?: string[]) =>
    audit(c, {
      eventCode: AuditEvent.UserSecurityAttributesChanged,
      action,
      outcome: Outcome.Success,
      objectType: 'dicom_device',
      objectId: device.id,
      detail: { aeTitle: device.ae_title, maySend: device.may_send, mayReceive: device.may_receive, tls: device.tls, autoConsult: Boolean(device.auto_consult_centre_id), ...(changed && { changed }) },
    });
  const duplicate = (error: unknown): never => {
    if (error instanceof DuplicateAeTitleError) throw new AppError('Conflict', error.message);
    throw error;
  };

  return new Hono<AppEnv>()
    .get('/devices', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const [devices, centres, users] = await Promise.all([repos.devices.listByTenant(tenant.id), repos.tenants.readingCentresFor(tenant.id), repos.users.listByTenant(tenant.id)]);
      // What the form offers: whether TLS can be chosen, and who a consult rule may send to and in whose name.
      return c.json({
        devices: devices.map(deviceView),
        tlsAvailable: deps.dicomTls,
        readingCentres: centres.map((centre) => ({ id: centre.id, name: centre.name })),
        radiographers: users.filter((u) => u.role === 'radiographer' && u.licensed && !u.disabled_at).map((u) => ({ id: u.id, displayName: u.display_name })),
      });
    })
    .post('/devices', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const input = await readJson(c, newDevice);
      await checkComplete(input, context(tenant.id));
      const device = await repos.devices.create(tenant.id, input, now()).catch(duplicate);
      await audited(c, 'C', device);
      return c.json({ device: deviceView(device) }, 201);
    })
    .patch('/devices/:id', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const id = c.req.param('id');
      const changes = await readJson(c, deviceChanges);
      const existing = isUuid(id) ? await repos.devices.getInTenant(tenant.id, id) : undefined;
      if (!existing) throw notFound('device');
      await checkComplete({ ...fieldsOf(existing), ...changes }, context(tenant.id));
      const device = await repos.devices.update(tenant.id, id, changes, now()).catch(duplicate);
      if (!device) throw notFound('device');
      await audited(c, 'U', device, Object.keys(changes).sort());
      return c.json({ device: deviceView(device) });
    })
    .delete('/devices/:id', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const id = c.req.param('id');
      const device = isUuid(id) ? await repos.devices.getInTenant(tenant.id, id) : undefined;
      if (!device || !(await repos.devices.remove(tenant.id, id))) throw notFound('device');
      await audited(c, 'D', device);
      return c.json({ deleted: true });
    });
}


