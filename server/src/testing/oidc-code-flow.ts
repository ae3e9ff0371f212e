import * as client from 'openid-client';

/**
 * The authorization request of the code flow with PKCE (S256) as a browser app makes it, built
 * by `openid-client`; `finish` checks the redirect back (state, issuer) and exchanges the code.
 * The tests drive the part in between: Yunzhen's pages, in a simulated or a real browser.
 */
export async function startCodeFlow(config: client.Configuration, redirectUri: string, parameters: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...parameters,
  });
  return {
    authorizationUrl,
    state,
    finish: (callback: URL) => client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }),
  };
}
