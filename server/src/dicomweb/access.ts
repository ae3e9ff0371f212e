import type { ImageScope } from '@yunzhen/db';

import type { Principal } from '../app-env.js';

/**
 * Which images a caller reads over DICOMweb. Radiographers and referring doctors see their
 * own hospital's studies; specialists of a reading centre see the studies of consults
 * addressed to it (without images held for pixel review). Administrators manage accounts
 * and see no images. Everything else is answered exactly like a UID that does not exist.
 */
export function imageScope(principal: Principal): ImageScope {
  const { role } = principal.user;
  const kind = principal.tenant.kind;
  return {
    tenantId: principal.tenant.id,
    own: (role === 'radiographer' || role === 'coordinator' || role === 'referring_doctor') && kind !== 'reading',
    reader: role === 'specialist' && kind !== 'sending',
  };
}
