import type { Server } from 'node:http';
import { createServer } from 'node:net';
import Provider from 'oidc-provider';

/*
 * A real OpenID Provider for tests: panva's oidc-provider (certified by the OpenID Foundation),
 * in-process on loopback, with its development login and consent pages. Any login name signs
 * in; the claims each account carries are whatever the test puts in `accounts`.
 */

export interface AccountClaims {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface OidcProviderPeer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, AccountClaims>;
  close(): Promise<void>;
}

export async function startOidcProvider(redirectUris: string[]): Promise<OidcProviderPeer> {
  const accounts = new Map<string, AccountClaims>();
  const clientId = 'signet';
  const clientSecret = 'signet-client-secret-0123456789';
  let server: Server | undefined;
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const free = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(free));
    });
  });
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['oidc-peer-cookie-key-0123456789'] },
    pkce: { required: () => true },
    findAccount: async (_context, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, ...(accounts.get(sub) ?? {}) }),
    }),
  });
  // Plain HTTP on loopback: the provider would otherwise refuse to set its secure cookies.
  provider.proxy = false;
  await new Promise<void>((resolve) => {
    server = provider.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}
