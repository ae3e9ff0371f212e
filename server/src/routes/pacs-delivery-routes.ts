import { Hono } from 'hono';

import type { Repositories } from '@yunzhen/db';

import type { AppEnv } from '../app-env.js';
import { requireUser } from '../auth/authenticate.js';
import { visibleConsult } from './consult-access.js';

/**
 * Where a consult's signed report went by DIMSE: per receiving device, delivered (when) or
 * pending/failed with the last error in words. No patient data: device, times, statuses.
 * The sending hospital sees its deliveries; the reading centre sees none.
 */
export function pacsDeliveryRoutes(deps: { repos: Repositories }) {
  return new Hono<AppEnv>().get('/consults/:id/pacs-deliveries', async (c) => {
    const principal = requireUser(c);
    const consult = await visibleConsult(deps.repos, principal, c.req.param('id'));
    if (principal.tenant.id !== consult.sending_tenant_id) return c.json({ deliveries: [] });
    const rows = await deps.repos.devices.deliveriesForConsult(consult.sending_tenant_id, consult.id);
    return c.json({
      deliveries: rows.map((r) => ({
        id: r.id,
        device: { name: r.device_name, aeTitle: r.device_ae_title },
        reportVersion: r.report_version,
        status: r.status,
        attempts: r.attempts,
        lastError: r.last_error,
        lastAttemptAt: r.last_attempt_at?.toISOString() ?? null,
        deliveredAt: r.delivered_at?.toISOString() ?? null,
        nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
      })),
    });
  });
}
