import type { Kysely } from 'kysely';

import { claimDue, type ClaimOptions } from './outbox.js';
import type { Database, DicomDevice } from './schema.js';

export interface DeviceFields {
  name: string;
  aeTitle: string;
  allowedCidrs: string[];
  maySend: boolean;
  mayReceive: boolean;
  host: string | null;
  port: number | null;
  enabled: boolean;
}

/** Thrown when a hospital already has a device with this AE title. */
export class DuplicateAeTitleError extends Error {
  override readonly name = 'DuplicateAeTitleError';
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

/** A hospital's DICOM devices and the outbox that returns signed reports to its PACS. */
export function createDeviceRepository(db: Kysely<Database>) {
  const columns = (f: Partial<DeviceFields>) => ({
    ...(f.name !== undefined && { name: f.name }),
    ...(f.aeTitle !== undefined && { ae_title: f.aeTitle }),
    ...(f.allowedCidrs !== undefined && { allowed_cidrs: f.allowedCidrs }),
    ...(f.maySend !== undefined && { may_send: f.maySend }),
    ...(f.mayReceive !== undefined && { may_receive: f.mayReceive }),
    ...(f.host !== undefined && { host: f.host }),
    ...(f.port !== undefined && { port: f.port }),
    ...(f.enabled !== undefined && { enabled: f.enabled }),
  });
  return {
    listByTenant(tenantId: string): Promise<DicomDevice[]> {
      return db.selectFrom('dicom_device').selectAll().where('tenant_id', '=', tenantId).orderBy('name').orderBy('id').execute();
    },

    getInTenant(tenantId: string, id: string): Promise<DicomDevice | undefined> {
      return db.selectFrom('dicom_device').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    },

    async create(tenantId: string, fields: DeviceFields, now: Date): Promise<DicomDevice> {
      try {
        return await db
          .insertInto('dicom_device')
          .values({ tenant_id: tenantId, created_at: now, updated_at: now, ...columns(fields) } as never)
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateAeTitleError('this hospital already has a device with this AE title');
        throw error;
      }
    },

    async update(tenantId: string, id: string, fields: Partial<DeviceFields>, now: Date): Promise<DicomDevice | undefined> {
      try {
        return await db
          .updateTable('dicom_device')
          .set({ ...columns(fields), updated_at: now })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateAeTitleError('this hospital already has a device with this AE title');
        throw error;
      }
    },

    async remove(tenantId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('dicom_device').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** Enabled devices of any hospital that may send with this calling AE title (the listener then checks the address). */
    sendersWithAeTitle(aeTitle: string): Promise<DicomDevice[]> {
      return db.selectFrom('dicom_device').selectAll().where('ae_title', '=', aeTitle).where('may_send', '=', true).where('enabled', '=', true).execute();
    },

    /** Enabled receiving devices of a hospital: where its signed reports go back. */
    receivers(tenantId: string): Promise<DicomDevice[]> {
      return db.selectFrom('dicom_device').selectAll().where('tenant_id', '=', tenantId).where('may_receive', '=', true).where('enabled', '=', true).execute();
    },

    /** Queues one delivery per receiving device for a signed report version; a repeat is a no-op. */
    async enqueueDeliveries(tenantId: string, consultId: string, reportVersion: number, deviceIds: string[], now: Date): Promise<void> {
      if (!deviceIds.length) return;
      await db
        .insertInto('pacs_delivery')
        .values(deviceIds.map((deviceId) => ({ tenant_id: tenantId, consult_id: consultId, device_id: deviceId, report_version: reportVersion, next_attempt_at: now, created_at: now })))
        .onConflict((oc) => oc.constraint('pacs_delivery_once_key').doNothing())
        .execute();
    },

    /** Claims due deliveries for one attempt each (see `claimDue`). */
    claimDueDeliveries(options: ClaimOptions) {
      return claimDue(db, 'pacs_delivery', options);
    },

    /** Records an attempt by the claimant that still holds the delivery; false when another replica took it over. */
    async recordDeliveryAttempt(id: string, outcome: { delivered: boolean; error: string | null; attempts: number; nextAttemptAt: Date | null }, now: Date, claimant: string): Promise<boolean> {
      const result = await db
        .updateTable('pacs_delivery')
        .set({
          attempts: outcome.attempts,
          last_error: outcome.error,
          last_attempt_at: now,
          claimed_by: null,
          status: outcome.delivered ? 'delivered' : outcome.nextAttemptAt ? 'pending' : 'failed',
          ...(outcome.nextAttemptAt && { next_attempt_at: outcome.nextAttemptAt }),
          ...(outcome.delivered && { delivered_at: now }),
        })
        .where('id', '=', id)
        .where('claimed_by', '=', claimant)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** A consult's deliveries with the device's name and AE title, newest first. */
    deliveriesForConsult(tenantId: string, consultId: string) {
      return db
        .selectFrom('pacs_delivery')
        .innerJoin('dicom_device', 'dicom_device.id', 'pacs_delivery.device_id')
        .select([
          'pacs_delivery.id',
          'pacs_delivery.report_version',
          'pacs_delivery.status',
          'pacs_delivery.attempts',
          'pacs_delivery.last_error',
          'pacs_delivery.last_attempt_at',
          'pacs_delivery.delivered_at',
          'pacs_delivery.next_attempt_at',
          'dicom_device.name as device_name',
          'dicom_device.ae_title as device_ae_title',
        ])
        .where('pacs_delivery.tenant_id', '=', tenantId)
        .where('pacs_delivery.consult_id', '=', consultId)
        .orderBy('pacs_delivery.created_at', 'desc')
        .execute();
    },
  };
}

export type DeviceRepository = ReturnType<typeof createDeviceRepository>;
