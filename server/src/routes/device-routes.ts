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

const fields = z.object({
  name: z.string().trim().min(1).max(200),
  aeTitle,
  allowedCidrs: z.array(cidr).max(64),
  maySend: z.boolean(),
  mayReceive: z.boolean(),
  host: host.nullable(),
  port: z.number().int().min(1).max(65535).nullable(),
  enabled: z.boolean(),
});
const newDevice = fields.extend({
  allowedCidrs: fields.shape.allowedCidrs.default([]),
  maySend: fields.shape.maySend.default(true),
  mayReceive: fields.shape.mayReceive.default(false),
  host: fields.shape.host.default(null),
  port: fields.shape.port.default(null),
  enabled: fields.shape.enabled.default(true),
});
const deviceChanges = fields.partial().strict();

type Fields = z.infer<typeof fields>;

/** What a device needs to be usable: a sender needs an address to be recognised by, a receiver an address to be reached at. */
function checkComplete(device: Fields): void {
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
  return { name: d.name, aeTitle: d.ae_title, allowedCidrs: d.allowed_cidrs, maySend: d.may_send, mayReceive: d.may_receive, host: d.host, port: d.port, enabled: d.enabled };
}

/** A hospital admin's DICOM devices (PACS, modalities), within that hospital only; every change audited. */
export function deviceRoutes(deps: { repos: Repositories; audit: AuditWriter; now: () => Date }) {
  const { repos, audit, now } = deps;
  const audited = (c: Parameters<AuditWriter>[0], action: 'C' | 'U' | 'D', device: DicomDevice, changed?: string[]) =>
    audit(c, {
      eventCode: AuditEvent.UserSecurityAttributesChanged,
      action,
      outcome: Outcome.Success,
      objectType: 'dicom_device',
      objectId: device.id,
      detail: { aeTitle: device.ae_title, maySend: device.may_send, mayReceive: device.may_receive, ...(changed && { changed }) },
    });
  const duplicate = (error: unknown): never => {
    if (error instanceof DuplicateAeTitleError) throw new AppError('Conflict', error.message);
    throw error;
  };

  return new Hono<AppEnv>()
    .get('/devices', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const devices = await repos.devices.listByTenant(tenant.id);
      return c.json({ devices: devices.map(deviceView) });
    })
    .post('/devices', async (c) => {
      const { tenant } = requireRole(c, 'admin');
      const input = await readJson(c, newDevice);
      checkComplete(input);
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
      checkComplete({ ...fieldsOf(existing), ...changes });
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


