import type { Repositories } from '@yunzhen/db';

import type { Principal } from '../app-env.js';
import { notFound } from '../errors.js';
import { isUuid } from './views.js';

/**
 * The consult, if the caller's hospital sent it or reads it; 404 otherwise, exactly as for an
 * id that does not exist. A centre the consult was referred to does not pass here: the routes
 * it may use ask for `consultOrReferred` by name, so no route opens to a partner by accident.
 */
export async function visibleConsult(repos: Repositories, principal: Principal, id: string) {
  const consult = await consultOrReferred(repos, principal, id);
  if (consult.sending_tenant_id !== principal.tenant.id && consult.reading_tenant_id !== principal.tenant.id) throw notFound('consult');
  return consult;
}

/**
 * The consult as `visibleConsult` finds it, or, for a centre it was referred to with the
 * sending hospital's consent, as that partner sees it (pseudonyms only, like any reader).
 */
export async function consultOrReferred(repos: Repositories, principal: Principal, id: string) {
  const consult = isUuid(id) ? await repos.consults.get(principal.tenant.id, id) : undefined;
  if (!consult) throw notFound('consult');
  return consult;
}

/** Whether the caller's hospital sees this consult only as the partner it was referred to. */
export function isPartnerOf(principal: Principal, consult: VisibleConsult): boolean {
  return consult.sending_tenant_id !== principal.tenant.id && consult.reading_tenant_id !== principal.tenant.id;
}

export type VisibleConsult = Awaited<ReturnType<typeof visibleConsult>>;
