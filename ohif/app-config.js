/**
 * OHIF Viewer 3.13 (`@ohif/app`, its prebuilt `dist/`) against Yunzhen: DICOMweb as the data
 * source, sign-in through Yunzhen's OpenID Connect provider. Replace the two addresses:
 *
 *   YUNZHEN  where users reach Yunzhen (its PUBLIC_URL), e.g. https://yunzhen.example.org
 *   OHIF     where OHIF is served,                     e.g. https://ohif.example.org
 *
 * and on the Yunzhen server set
 *
 *   CORS_ORIGINS=https://ohif.example.org
 *   OIDC_CLIENTS=[{"clientId":"ohif","name":"OHIF Viewer","redirectUris":["https://ohif.example.org/callback"],
 *                  "postLogoutRedirectUris":["https://ohif.example.org/logout-redirect.html"],"firstParty":true}]
 *
 * (or register the client as a reading centre's admin with POST /api/oidc-clients). Each OHIF
 * user then signs in with their own Yunzhen account and sees what that account may see: a
 * specialist the consult studies of their reading centre, pseudonymised; a sending hospital
 * its own studies. Measurements saved as an SR (OHIF posts to `{wadoRoot}/studies` without a
 * study UID) are filed into the study they measure, when the user reads it.
 */
const YUNZHEN = 'https://yunzhen.example.org';

window.config = {
  routerBasename: '/',
  extensions: [],
  modes: [],
  customizationService: {},
  showStudyList: true,
  maxNumberOfWebWorkers: 3,
  showWarningMessageForCrossOrigin: true,
  showCPUFallbackMessage: true,
  showLoadingIndicator: true,
  strictZSpacingForVolumeViewport: true,
  maxNumRequests: { interaction: 100, thumbnail: 5, prefetch: 25 },
  showErrorDetails: 'production',
  oidc: [
    {
      // Yunzhen's issuer: discovery at /oidc/.well-known/openid-configuration.
      authority: `${YUNZHEN}/oidc`,
      client_id: 'ohif',
      redirect_uri: '/callback',
      // Authorization code with PKCE (S256): the only flow Yunzhen offers browser apps.
      response_type: 'code',
      scope: 'openid profile email',
      post_logout_redirect_uri: '/logout-redirect.html',
      revoke_uri: `${YUNZHEN}/oidc/token/revocation`,
      // Access tokens live 10 minutes; OHIF renews them with the refresh token.
      automaticSilentRenew: true,
      revokeAccessTokenOnSignout: true,
    },
  ],
  defaultDataSourceName: 'yunzhen',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'yunzhen',
      configuration: {
        friendlyName: 'Yunzhen',
        name: 'yunzhen',
        wadoUriRoot: `${YUNZHEN}/dicomweb`,
        qidoRoot: `${YUNZHEN}/dicomweb`,
        wadoRoot: `${YUNZHEN}/dicomweb`,
        qidoSupportsIncludeField: true,
        supportsReject: false,
        imageRendering: 'wadors',
        thumbnailRendering: 'wadors',
        enableStudyLazyLoad: true,
        supportsFuzzyMatching: false,
        supportsWildcard: true,
        staticWado: false,
        singlepart: 'bulkdata,video',
        bulkDataURI: { enabled: true, relativeResolution: 'studies' },
        omitQuotationForMultipartRequest: true,
      },
    },
  ],
};
