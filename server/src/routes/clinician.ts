import type { Principal } from '../app-env.js';
import { AppError } from '../errors.js';

/**
 * Admins manage people, not patients: no real identity, attachment, key image or report is
 * shown to them. A user holds exactly one role, so an admin is never also a clinician.
 */
export function isClinician(principal: Principal): boolean {
  return principal.user.role !== 'admin';
}

/** Refuses admins (403) on routes that are about patients and nothing else. */
export function requireClinician(principal: Principal): Principal {
  if (!isClinician(principal)) throw new AppError('Forbidden', 'administrators manage people, not patients');
  return principal;
}
