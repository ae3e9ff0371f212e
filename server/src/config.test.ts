import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the embedded deployment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: './data', databaseUrl: undefined, s3: undefined, secret: undefined, demo: false });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('requires a shared secret for scaled deployments and names variables, not values', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:pw@db/yunzhen' })).toThrow(/YUNZHEN_SECRET is required/);
    const error = (() => {
      try {
        loadConfig({ PORT: 'not-a-port', YUNZHEN_SECRET: 'short-secret-value' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('PORT');
    expect(error!.message).toContain('YUNZHEN_SECRET');
    expect(error!.message).not.toContain('short-secret-value');
  });

  it('reads the public URL and the OpenID Connect clients the deployment configures', () => {
    const ohif = { clientId: 'ohif', name: 'OHIF', redirectUris: ['https://ohif.example.org/callback'], firstParty: true };
    const config = loadConfig({ PUBLIC_URL: 'https://yunzhen.example.org', OIDC_CLIENTS: JSON.stringify([ohif]) });
    expect(config.publicUrl).toBe('https://yunzhen.example.org');
    expect(config.oidcClients).toEqual([{ ...ohif, postLogoutRedirectUris: [] }]);
    expect(loadConfig({}).oidcClients).toEqual([]);
    expect(() => loadConfig({ OIDC_CLIENTS: 'not json' })).toThrow(/OIDC_CLIENTS/);
    expect(() => loadConfig({ OIDC_CLIENTS: JSON.stringify([{ ...ohif, redirectUris: ['http://ohif.example.org/callback'] }]) })).toThrow(/OIDC_CLIENTS/);
    // Behind a proxy that serves Yunzhen under a path, links (and the issuer) keep the path.
    expect(loadConfig({ PUBLIC_URL: 'https://yunzhen.example.org/yz/' }).publicUrl).toBe('https://yunzhen.example.org/yz');
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://yunzhen.example.org' })).toThrow(/PUBLIC_URL/);
  });

  it('configures S3 with path-style addressing by default', () => {
    const config = loadConfig({ S3_BUCKET: 'b', S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's', YUNZHEN_SECRET: 'x'.repeat(32) });
    expect(config.s3).toMatchObject({ bucket: 'b', endpoint: 'http://minio:9000', forcePathStyle: true, region: 'us-east-1' });
    expect(() => loadConfig({ S3_BUCKET: 'b', YUNZHEN_SECRET: 'x'.repeat(32) })).toThrow(/S3_ACCESS_KEY_ID/);
  });

  it('runs the DIMSE listener on 11112 as YUNZHEN by default, on the HTTP host, and can be turned off', () => {
    expect(loadConfig({}).dicom).toEqual({ port: 11112, host: '127.0.0.1', aeTitle: 'YUNZHEN', explicit: false });
    expect(loadConfig({ HOST: '0.0.0.0', DICOM_PORT: '104', DICOM_AE_TITLE: 'CLOUD_READ' }).dicom).toEqual({ port: 104, host: '0.0.0.0', aeTitle: 'CLOUD_READ', explicit: true });
    expect(loadConfig({ DICOM_HOST: '10.0.0.5' }).dicom?.host).toBe('10.0.0.5');
    expect(loadConfig({ DICOM_PORT: 'off' }).dicom).toBeUndefined();
    expect(() => loadConfig({ DICOM_PORT: '70000' })).toThrow(/DICOM_PORT/);
    expect(() => loadConfig({ DICOM_AE_TITLE: 'A_TITLE_LONGER_THAN_16' })).toThrow(/DICOM_AE_TITLE/);
    expect(() => loadConfig({ DICOM_AE_TITLE: 'BAD\\AE' })).toThrow(/DICOM_AE_TITLE/);
  });
});
