import { z } from 'zod';
import { normalizePublicUrl } from './public-url.js';

import { oidcClientSchema } from './oidc/oidc-client-schema.js';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** Every environment variable Yunzhen reads, with its default. The README's table mirrors this. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: optionalText.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  DATABASE_MIGRATION_URL: optionalText.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  S3_ENDPOINT: optionalText.pipe(z.string().url().optional()),
  S3_BUCKET: optionalText,
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  S3_FORCE_PATH_STYLE: flag.default(true),
  S3_KEY_PREFIX: z.string().default(''),
  YUNZHEN_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  YUNZHEN_DEMO: flag.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  TOKEN_TTL_DAYS: z.coerce.number().positive().default(30),
  SECURE_COOKIES: flag.default(false),
  TRUST_PROXY: flag.default(false),
  DRAIN_SECONDS: z.coerce.number().int().min(0).default(60),
  PUBLIC_URL: optionalText.pipe(
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const normalized = normalizePublicUrl(value);
        if (normalized === null) ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL without query, fragment or credentials, e.g. https://yunzhen.example.org' });
        return normalized ?? undefined;
      }),
  ),
  VIEWER_DIST: optionalText,
  MAX_INSTANCE_MB: z.coerce.number().int().positive().default(1024),
  OBJECT_CACHE_MB: z.coerce.number().int().min(0).default(256),
  // OCR of stored images for burned-in text (server/src/ingest/pixel-scanner.ts).
  PIXEL_OCR: z.enum(['on', 'off']).default('on'),
  PIXEL_OCR_WORKERS: z.coerce.number().int().min(1).max(16).default(1),
  PIXEL_OCR_FRAME_SECONDS: z.coerce.number().positive().max(600).default(30),
  PIXEL_OCR_MAX_FRAMES: z.coerce.number().int().min(1).max(100).default(5),
  // Resumable uploads: every part but the last is this size (64 KiB – 256 MiB).
  UPLOAD_PART_BYTES: z.coerce.number().int().min(64 * 1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
  // DIMSE listener: on by default (a hospital's PACS expects port 11112); `off` turns it off.
  DICOM_PORT: z
    .string()
    .optional()
    .refine((value) => value === undefined || value === '' || value === 'off' || (/^\d{1,5}$/.test(value) && Number(value) <= 65535), 'must be a port (0–65535) or off')
    .transform((value): number | 'off' | undefined => (value === undefined || value === '' ? undefined : value === 'off' ? 'off' : Number(value))),
  DICOM_HOST: optionalText,
  DICOM_AE_TITLE: z
    .string()
    .default('YUNZHEN')
    .refine((value) => value.length >= 1 && value.length <= 16 && /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.includes('\\'), 'must be 1–16 characters without backslash or surrounding spaces'),
  // DICOM TLS (PS3.15 Annex B) on its own port, when a certificate and key are given.
  DICOM_TLS_PORT: z.coerce.number().int().min(0).max(65535).default(2762),
  DICOM_TLS_CERT: optionalText,
  DICOM_TLS_KEY: optionalText,
  DICOM_TLS_CA: optionalText,
  // E-mail notices (new messages on a consult): an SMTP server, e.g. smtps://user:pass@mail.example.org.
  SMTP_URL: optionalText.pipe(z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()),
  SMTP_FROM: z.string().min(3).default('Yunzhen <noreply@localhost>'),
  OIDC_CLIENTS: z
    .string()
    .default('[]')
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
        return z.NEVER;
      }
    })
    .pipe(z.array(oidcClientSchema)),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/]+$/, 'must be origins like https://viewer.example.org'))),
});

export type ServerConfig = Readonly<{
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** The tables' owner, which migrates and grants `databaseUrl`'s role its privileges (with DATABASE_URL only). */
  databaseMigrationUrl: string | undefined;
  s3: Readonly<{
    endpoint: string | undefined;
    bucket: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
    keyPrefix: string;
  }> | undefined;
  /** Undefined means "embedded deployment: generate one and keep it in the data directory". */
  secret: string | undefined;
  demo: boolean;
  logLevel: string;
  sessionTtlMs: number;
  tokenTtlMs: number;
  secureCookies: boolean;
  trustProxy: boolean;
  /** The address clients reach this server by (absolute links); every replica has the same. */
  publicUrl: string | undefined;
  viewerDist: string | undefined;
  maxInstanceBytes: number;
  objectCacheBytes: number;
  /** OCR for burned-in text at ingest (off: header flags only): workers, budget per frame, frames per instance. */
  pixelOcr: Readonly<{ workers: number; frameBudgetMs: number; maxFramesPerInstance: number }> | undefined;
  /** Size of the parts of a resumable upload. */
  uploadPartBytes: number;
  corsOrigins: readonly string[];
  /** After SIGTERM/SIGINT, how long requests in flight (uploads) may take to finish before the process exits anyway. */
  drainMs: number;
  /** OpenID Connect clients the deployment configures (besides those admins register). */
  oidcClients: readonly z.infer<typeof oidcClientSchema>[];
  /** The DIMSE listener, or undefined when DICOM_PORT=off. `explicit`: the port was configured (failing to bind is fatal). */
  dicom: Readonly<{ port: number; host: string; aeTitle: string; explicit: boolean }> | undefined;
  /**
   * The DICOM TLS listener (same AE title and host as `dicom`), and our certificate for TLS
   * associations to a receiving PACS; undefined without DICOM_TLS_CERT and DICOM_TLS_KEY.
   * Paths to PEM files; `caFile`: further CAs trusted for a PACS's certificate.
   */
  dicomTls: Readonly<{ port: number; certFile: string; keyFile: string; caFile: string | undefined }> | undefined;
  /** E-mail through this SMTP server, or in-app notices only when undefined. */
  smtp: Readonly<{ url: string; from: string }> | undefined;
}>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses and freezes the configuration. Messages name variables, never their values. */
export function loadConfig(env: Record<string, string | undefined>): ServerConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = result.data;
  let s3: ServerConfig['s3'];
  if (e.S3_BUCKET) {
    if (!e.S3_ACCESS_KEY_ID || !e.S3_SECRET_ACCESS_KEY) {
      throw new ConfigError('invalid configuration: S3_BUCKET needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
    }
    s3 = Object.freeze({
      endpoint: e.S3_ENDPOINT,
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      keyPrefix: e.S3_KEY_PREFIX,
    });
  }
  if (Boolean(e.DICOM_TLS_CERT) !== Boolean(e.DICOM_TLS_KEY)) {
    throw new ConfigError('invalid configuration: DICOM_TLS_CERT and DICOM_TLS_KEY go together');
  }
  if (e.DATABASE_MIGRATION_URL && !e.DATABASE_URL) {
    throw new ConfigError('invalid configuration: DATABASE_MIGRATION_URL goes with DATABASE_URL (the embedded database makes its own roles)');
  }
  if ((e.DATABASE_URL || s3) && !e.YUNZHEN_SECRET) {
    // Replicas must share the secret that derives the per-hospital keys; never invent one here.
    throw new ConfigError('invalid configuration: YUNZHEN_SECRET is required with DATABASE_URL or S3_BUCKET');
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databaseMigrationUrl: e.DATABASE_MIGRATION_URL,
    s3,
    secret: e.YUNZHEN_SECRET,
    demo: e.YUNZHEN_DEMO,
    logLevel: e.LOG_LEVEL,
    sessionTtlMs: e.SESSION_TTL_HOURS * 60 * 60 * 1000,
    tokenTtlMs: e.TOKEN_TTL_DAYS * 24 * 60 * 60 * 1000,
    secureCookies: e.SECURE_COOKIES,
    trustProxy: e.TRUST_PROXY,
    publicUrl: e.PUBLIC_URL,
    viewerDist: e.VIEWER_DIST,
    maxInstanceBytes: e.MAX_INSTANCE_MB * 1024 * 1024,
    objectCacheBytes: e.OBJECT_CACHE_MB * 1024 * 1024,
    pixelOcr: e.PIXEL_OCR === 'on' ? Object.freeze({ workers: e.PIXEL_OCR_WORKERS, frameBudgetMs: e.PIXEL_OCR_FRAME_SECONDS * 1000, maxFramesPerInstance: e.PIXEL_OCR_MAX_FRAMES }) : undefined,
    uploadPartBytes: e.UPLOAD_PART_BYTES,
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
    drainMs: e.DRAIN_SECONDS * 1000,
    oidcClients: Object.freeze(e.OIDC_CLIENTS),
    dicom:
      e.DICOM_PORT === 'off'
        ? undefined
        : Object.freeze({ port: e.DICOM_PORT ?? 11112, host: e.DICOM_HOST ?? e.HOST, aeTitle: e.DICOM_AE_TITLE, explicit: e.DICOM_PORT !== undefined }),
    smtp: e.SMTP_URL ? Object.freeze({ url: e.SMTP_URL, from: e.SMTP_FROM }) : undefined,
    dicomTls: e.DICOM_TLS_CERT && e.DICOM_TLS_KEY ? Object.freeze({ port: e.DICOM_TLS_PORT, certFile: e.DICOM_TLS_CERT, keyFile: e.DICOM_TLS_KEY, caFile: e.DICOM_TLS_CA }) : undefined,
  });
}
