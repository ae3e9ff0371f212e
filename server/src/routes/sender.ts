import { sendingRoles } from '@yunzhen/db';

import type { Principal } from '../app-env.js';
import { AppError } from '../errors.js';

/**
 * Only licensed radiographers of a sending hospital (and an international department's
 * coordinators) send studies, as in a medical union: the sending side stays accountable for
 * what leaves the hospital.
 */
export function requireSender(principal: Principal): Principal {
  if (principal.tenant.kind === 'reading') throw new AppError('Forbidden', 'a reading centre does not send studies');
  if (!sendingRoles.includes(principal.user.role)) throw new AppError('Forbidden', 'only radiographers and coordinators send studies');
  if (!principal.user.licensed) throw new AppError('Forbidden', 'only licensed staff send studies');
  return principal;
}
