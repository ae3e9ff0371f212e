import type { Logger } from 'pino';

import { asSystem, type Repositories } from '@yunzhen/db';

import { AuditEvent, Outcome } from '../audit.js';
import { describeForLog } from '../errors.js';

/**
 * A device's rule sends its studies to the reading centre by itself: when a study from the
 * device has had no new instance for the rule's quiet time (a modality or PACS sends a study
 * as a stream of C-STOREs, with no "complete" signal), a consult is created in the name of the
 * rule's licensed radiographer. Runs on every replica; rows are claimed with SKIP LOCKED.
 */
export function createAutoConsults(deps: { repos: Repositories; logger: Logger; now: () => Date }) {
  return {
    /** One pass; resolves with the number of consults created. */
    tick(): Promise<number> {
      // A device's rule acts for its hospital, sending to another: the named system path.
      return asSystem('auto-consult', () => pass());
    },
  };

  async function pass(): Promise<number> {
    const now = deps.now();
    const created = await deps.repos.devices.createDueAutoConsults(now, (priority, readingCentreId) => deps.repos.turnaround.dueAt(readingCentreId, priority, now));
    for (const consult of created) {
      deps.logger.info({ consult: consult.consultId, device: consult.deviceId }, 'consult created by a device rule');
      await deps.repos.audit
        .record({
          eventCode: AuditEvent.ProcedureRecord,
          action: 'C',
          outcome: Outcome.Success,
          userId: null,
          tenantId: consult.tenantId,
          sourceIp: null,
          requestId: null,
          objectType: 'consult',
          objectId: consult.consultId,
          detail: { entryPoint: 'dicom-device-rule', deviceId: consult.deviceId, studyId: consult.studyId },
        })
        .catch((error: unknown) => deps.logger.error({ err: describeForLog(error) }, 'audit write failed'));
    }
    return created.length;
  }
}
