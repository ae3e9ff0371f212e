import { z } from 'zod';

/** Redirect URIs: https, or http only to this machine (a viewer under development); no fragment (RFC 6749 3.1.2). */
const httpsOrLoopback = z
  .string()
  .url()
  .max(2000)
  .refine((value) => {
    const url = new URL(value);
    return !url.hash && (url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)));
  }, 'must be https:// (http:// only on this machine), without a fragment');

/** A client registration: by an admin (`POST /api/oidc-clients`) or in `OIDC_CLIENTS`. */
export const oidcClientSchema = z.object({
  clientId: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, '3–64 letters, digits, dot, dash or underscore'),
  name: z.string().trim().min(1).max(120),
  redirectUris: z.array(httpsOrLoopback).min(1).max(10),
  postLogoutRedirectUris: z.array(httpsOrLoopback).max(10).default([]),
  firstParty: z.boolean().default(false),
});


/** An admin's registration (`POST /api/oidc-clients`): also a confidential client, whose secret is shown once. */
export const oidcClientRegistrationSchema = oidcClientSchema.extend({ confidential: z.boolean().default(false) });

/** An admin's edit (`PATCH /api/oidc-clients/{clientId}`): everything but the id and whether it has a secret. */
export const oidcClientChangesSchema = oidcClientSchema.omit({ clientId: true });
