import { sql, type Kysely } from 'kysely';

import { insertConsult } from './consults.js';
import { claimDue, type ClaimOptions } from './outbox.js';
import type { ConsultPriority, Database, DicomDevice } from './schema.js';

export interface DeviceFields {
  name: string;
  aeTitle: string;
  allowedCidrs: string[];
  maySend: boolean;
  mayReceive: boolean;
  host: string | null;
  port: number | null;
  enabled: boolean;
  tls: boolean;
  certificateSha256: string | null;
  autoConsult: AutoConsultRule | null;
}

/** Creates a consult for each study from the device once no instance has come for `quietSeconds`. */
export interface AutoConsultRule {
  readingCentreId: string;
  priority: ConsultPriority;
  quietSeconds: number;
  clinicalQuestion: string;
  /** The licensed radiographer of the hospital in whose name the consults are created. */
  onBehalfOf: string;
}

/** A study the rule sent to its reading centre. */
export interface AutoConsultCreated {
  deviceId: string;
  tenantId: string;
  studyId: string;
  consultId: string;
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
    ...(f.tls !== undefined && { tls: f.tls }),
    ...(f.certificateSha256 !== undefined && { certificate_sha256: f.certificateSha256 }),
    ...(f.autoConsult !== undefined && {
      auto_consult_centre_id: f.autoConsult?.readingCentreId ?? null,
      auto_consult_priority: f.autoConsult?.priority ?? null,
      auto_consult_quiet_seconds: f.autoConsult?.quietSeconds ?? null,
      auto_consult_question: f.autoConsult?.clinicalQuestion ?? null,
      auto_consult_by: f.autoConsult?.onBehalfOf ?? null,
    }),
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

    /** A study came (again) from this device: its rule waits for it to be quiet from now. */
    async noteStudyFromDevice(deviceId: string, studyId: string, at: Date): Promise<void> {
      await db
        .insertInto('device_study')
        .values({ device_id: deviceId, study_id: studyId, last_instance_at: at })
        .onConflict((oc) => oc.columns(['device_id', 'study_id']).doUpdateSet({ last_instance_at: at }))
        .execute();
    },

    /**
     * Creates the consults that devices' rules owe: one per study from a device whose rule is on,
     * quiet for the rule's time, not yet part of a consult, with the rule's radiographer still a
     * licensed radiographer of the hospital. Rows are locked with SKIP LOCKED, so replicas running
     * the same pass create each consult once.
     */
    createDueAutoConsults(now: Date, dueAt: (priority: ConsultPriority, readingCentreId: string) => Promise<Date>, limit = 20): Promise<AutoConsultCreated[]> {
      return db.transaction().execute(async (tx) => {
        const due = await tx
          .selectFrom('device_study as ds')
          .innerJoin('dicom_device as d', 'd.id', 'ds.device_id')
          .innerJoin('app_user as u', 'u.id', 'd.auto_consult_by')
          .select(['ds.device_id', 'ds.study_id', 'd.tenant_id', 'd.auto_consult_centre_id', 'd.auto_consult_priority', 'd.auto_consult_question', 'd.auto_consult_by'])
          .where('ds.consult_id', 'is', null)
          .where('d.enabled', '=', true)
          .where('d.auto_consult_centre_id', 'is not', null)
          .where(sql<boolean>`ds.last_instance_at + make_interval(secs => d.auto_consult_quiet_seconds) <= ${now}`)
          .whereRef('u.tenant_id', '=', 'd.tenant_id')
          .where('u.role', '=', 'radiographer')
          .where('u.licensed', '=', true)
          .where('u.disabled_at', 'is', null)
          .orderBy('ds.last_instance_at')
          .limit(limit)
          .forUpdate('ds')
          .skipLocked()
          .execute();
        const created: AutoConsultCreated[] = [];
        for (const row of due) {
          const inConsult = await tx
            .selectFrom('consult_study as cs')
            .innerJoin('consult as c', 'c.id', 'cs.consult_id')
            .select('c.id')
            .where('cs.study_id', '=', row.study_id)
            .where('c.status', '!=', 'cancelled')
            .executeTakeFirst();
          // Sent by hand (or by another device's rule) already: the rule's work is done.
          const consultId =
            inConsult?.id ??
            (
              await insertConsult(tx, {
                sendingTenantId: row.tenant_id,
                readingTenantId: row.auto_consult_centre_id!,
                createdBy: row.auto_consult_by!,
                clinicalQuestion: row.auto_consult_question!,
                priority: row.auto_consult_priority!,
                dueAt: await dueAt(row.auto_consult_priority!, row.auto_consult_centre_id!),
                createdAt: now,
                studyIds: [row.study_id],
              })
            ).id;
          await tx.updateTable('device_study').set({ consult_id: consultId }).where('device_id', '=', row.device_id).where('study_id', '=', row.study_id).execute();
          if (!inConsult) created.push({ deviceId: row.device_id, tenantId: row.tenant_id, studyId: row.study_id, consultId });
        }
        return created;
      });
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
