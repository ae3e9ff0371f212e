import type { Repositories } from '@yunzhen/db';

import type { Principal } from '../app-env.js';
import { notFound } from '../errors.js';
import { isUuid } from './views.js';

/** The consult, if the caller's hospital sent it or reads it; 404 otherwise, exactly as for an id that does not exist. */
export async function visibleConsult(repos: Repositories, principal: Principal, id: string) {
  const consult = isUuid(id) ? await repos.consults.get(principal.tenant.id, id) : undefined;
  if (!consult) throw notFound('consult');
  return consult;
}

export type VisibleConsult = Awaited<ReturnType<typeof visibleConsult>>;
