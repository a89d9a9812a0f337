import * as oidc from 'openid-client';
import type { Sql } from '../db/database.ts';
import { recipientActor } from '../envelopes/aggregate/signerSession.ts';
import { SignetError } from '../errors.ts';
import { appendAuditEvent } from '../evidence/auditLog.ts';
import type { Who } from '../http/who.ts';
import { issueSsoSignInCode } from '../orgs/sso.ts';
import { outboundFailureOf } from '../outbound/outboundHttp.ts';
import type { Platform } from '../platform.ts';
import { presentedByBrowser } from './browserBinding.ts';
import { type IdentityCheckRow, updateCheck } from './checks.ts';
import { checkForRoundTrip } from './roundTrips.ts';

/*
 * OpenID Connect identity checks (SPEC §E): the authorization code flow with PKCE (S256), state
 * and nonce, through openid-client, which validates the ID token (issuer, audience, signature
 * against the provider's JWKS, expiry, nonce). The database keeps each request's state once and
 * in time — so it holds across instances — and the outcome on the recipient's check.
 */

const DISCOVERY_CACHE_MS = 10 * 60 * 1000;
/** Discovery, JWKS, token and UserInfo answers are a few KiB; a provider gets a generous cap. */
const PROVIDER_MAX_BYTES = 1024 * 1024;
const PROVIDER_TIMEOUT_MS = 10_000;

interface ProviderRow {
  issuer: string;
  client_id: string;
  client_secret_sealed: string;
  scopes: string;
  response_timeout_seconds: number;
  staff_sign_in: boolean;
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes?: string | undefined;
  responseTimeoutSeconds?: number | undefined;
  /** Whether staff of the organisation may sign in to Signet through this provider (default false). */
  staffSignIn?: boolean | undefined;
}

const discovered = new Map<string, { at: number; configuration: oidc.Configuration }>();

/**
 * Every request to the provider — discovery, JWKS, token, UserInfo — goes through the outbound
 * module as a tenant's: the issuer is the organisation's, and so is every URL its discovery
 * document names. Plain-HTTP providers only outside production (a local provider while
 * developing, tests).
 */
function discoveryOptions(platform: Platform): oidc.DiscoveryRequestOptions {
  return {
    [oidc.customFetch]: platform.outbound.fetch({
      policy: 'tenant',
      maxBytes: PROVIDER_MAX_BYTES,
      timeoutMs: PROVIDER_TIMEOUT_MS,
    }),
    ...(platform.config.devMode ? { execute: [oidc.allowInsecureRequests] } : {}),
  };
}

/** Outbound failures where the organisation's settings are at fault rather than the provider. */
const REFUSED_BY_POLICY = new Set([
  'OUTBOUND_URL_INVALID',
  'OUTBOUND_ADDRESS_REFUSED',
  'OUTBOUND_REDIRECT_REFUSED',
]);

/**
 * What a failure may say: the outbound module's generic words, or openid-client's own texts,
 * which name the check that failed and never quote what the provider answered.
 */
function failureText(error: unknown): string {
  const outbound = outboundFailureOf(error);
  if (outbound) return outbound.detail;
  if (error instanceof SignetError) return error.detail;
  if (
    error instanceof oidc.ClientError ||
    error instanceof oidc.ResponseBodyError ||
    error instanceof oidc.AuthorizationResponseError ||
    error instanceof oidc.WWWAuthenticateChallengeError
  ) {
    return error.message;
  }
  return 'the provider’s answer could not be processed';
}

async function configurationFor(platform: Platform, provider: ProviderRow): Promise<oidc.Configuration> {
  const key = `${provider.issuer}|${provider.client_id}`;
  const cached = discovered.get(key);
  if (cached && Date.now() - cached.at < DISCOVERY_CACHE_MS) return cached.configuration;
  try {
    const configuration = await oidc.discovery(
      new URL(provider.issuer),
      provider.client_id,
      platform.secrets.open(provider.client_secret_sealed),
      undefined,
      discoveryOptions(platform),
    );
    discovered.set(key, { at: Date.now(), configuration });
    return configuration;
  } catch (error) {
    const refused = REFUSED_BY_POLICY.has(outboundFailureOf(error)?.code ?? '');
    throw new SignetError(
      refused ? 'OIDC_DISCOVERY_REFUSED' : 'OIDC_DISCOVERY_FAILED',
      `The OpenID provider's discovery failed: ${failureText(error)}`,
    );
  }
}

async function loadProvider(sql: Sql, organizationId: string): Promise<ProviderRow | undefined> {
  const [row] = await sql.query<ProviderRow>('select * from oidc_providers where organization_id = $1', [
    organizationId,
  ]);
  return row;
}

export function callbackUrl(platform: Platform, organizationId: string): string {
  return `${platform.config.publicUrl}/oidc/${organizationId}/callback`;
}

/** Stores the provider after checking that its discovery document answers for that issuer. */
export async function configureOidc(platform: Platform, organizationId: string, settings: OidcSettings) {
  const row: ProviderRow = {
    issuer: settings.issuer,
    client_id: settings.clientId,
    client_secret_sealed: platform.secrets.seal(settings.clientSecret),
    scopes: settings.scopes ?? 'openid email profile',
    response_timeout_seconds: settings.responseTimeoutSeconds ?? 600,
    staff_sign_in: settings.staffSignIn ?? false,
  };
  if (!row.scopes.split(/\s+/).includes('openid')) {
    throw new SignetError('OIDC_CONFIG_INVALID', 'The scopes must include openid.');
  }
  discovered.delete(`${row.issuer}|${row.client_id}`);
  await configurationFor(platform, row);
  await platform.db.query(
    `insert into oidc_providers (organization_id, issuer, client_id, client_secret_sealed, scopes, response_timeout_seconds,
       staff_sign_in, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, now())
     on conflict (organization_id) do update set issuer = excluded.issuer, client_id = excluded.client_id,
       client_secret_sealed = excluded.client_secret_sealed, scopes = excluded.scopes,
       response_timeout_seconds = excluded.response_timeout_seconds, staff_sign_in = excluded.staff_sign_in,
       updated_at = now()`,
    [
      organizationId,
      row.issuer,
      row.client_id,
      row.client_secret_sealed,
      row.scopes,
      row.response_timeout_seconds,
      row.staff_sign_in,
    ],
  );
  return oidcView(platform, organizationId);
}

export async function oidcView(platform: Platform, organizationId: string) {
  const provider = await loadProvider(platform.db, organizationId);
  return {
    redirectUri: callbackUrl(platform, organizationId),
    provider: provider
      ? {
          issuer: provider.issuer,
          clientId: provider.client_id,
          scopes: provider.scopes,
          responseTimeoutSeconds: provider.response_timeout_seconds,
          staffSignIn: provider.staff_sign_in,
        }
      : null,
    staffSignInUrl: `${platform.config.publicUrl}/auth/sso/${organizationId}/oidc`,
  };
}

/** An authorization request (code flow, PKCE S256, state and nonce) and what must be remembered of it. */
async function authorizationRequest(platform: Platform, provider: ProviderRow, organizationId: string) {
  const configuration = await configurationFor(platform, provider);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: callbackUrl(platform, organizationId),
    scope: provider.scopes,
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return { url, state, nonce, verifier };
}

/** A staff member starts signing in to Signet through the organisation's provider (SSO), bound like a signer's check. */
export async function startStaffOidcSignIn(
  platform: Platform,
  organizationId: string,
  browserBindingHash: string,
): Promise<string> {
  const provider = await loadProvider(platform.db, organizationId);
  if (!provider?.staff_sign_in) {
    throw new SignetError('SSO_NOT_CONFIGURED', 'This organisation has no OpenID Connect sign-in for staff.');
  }
  const { url, state, nonce, verifier } = await authorizationRequest(platform, provider, organizationId);
  await platform.db.query(
    `insert into oidc_requests (state, organization_id, purpose, code_verifier_sealed, nonce, expires_at,
       browser_binding_hash)
     values ($1, $2, 'staff', $3, $4, now() + make_interval(secs => $5), $6)`,
    [
      state,
      organizationId,
      platform.secrets.seal(verifier),
      nonce,
      provider.response_timeout_seconds,
      browserBindingHash,
    ],
  );
  return url.href;
}

/**
 * The signer starts their check: the authorization URL, with state, nonce and PKCE remembered,
 * and the hash of the nonce the starting browser gets in a cookie (./browserBinding.ts).
 */
export async function startOidcCheck(
  platform: Platform,
  token: string,
  who: Who,
  browserBindingHash: string,
): Promise<{ url: string; organizationId: string }> {
  const prepared = await platform.db.transaction(async (tx) => {
    const { session, check } = await checkForRoundTrip(tx, token, 'oidc');
    const organizationId = session.envelope.organization_id;
    const provider = await loadProvider(tx, organizationId);
    if (!provider)
      throw new SignetError('IDENTITY_PROVIDER_REMOVED', 'The sender has no OpenID provider configured.');
    return { session, check, provider, organizationId };
  });
  const { session, check, provider, organizationId } = prepared;
  const { url, state, nonce, verifier } = await authorizationRequest(platform, provider, organizationId);
  await platform.db.transaction(async (tx) => {
    await tx.query(
      `insert into oidc_requests (state, organization_id, identity_check_id, code_verifier_sealed, nonce, expires_at,
         browser_binding_hash)
       values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7)`,
      [
        state,
        organizationId,
        check.id,
        platform.secrets.seal(verifier),
        nonce,
        provider.response_timeout_seconds,
        browserBindingHash,
      ],
    );
    await updateCheck(tx, check.id, { status: 'pending', reason: 'OIDC_IN_PROGRESS' });
    await appendAuditEvent(
      tx,
      session.envelope.id,
      'identity.oidc.requested',
      recipientActor(session.recipient, who),
      {
        recipientId: session.recipient.id,
        issuer: provider.issuer,
      },
    );
  });
  return { url: url.href, organizationId };
}

export interface CallbackResult {
  passed: boolean;
  reason: string;
  error?: string;
}

interface OidcRequestRow {
  purpose: 'signer' | 'staff';
  identity_check_id: string | null;
  code_verifier_sealed: string;
  nonce: string;
  expires_at: Date | string;
  consumed_at: Date | string | null;
  browser_binding_hash: string | null;
}

type Claims = oidc.IDToken & { email?: unknown; email_verified?: unknown };

/**
 * Claims the request a state names: once, only in the browser that started it (else it stays
 * open for that browser, its code unused), in time. The row comes back whenever it exists.
 */
async function claimRequest(
  tx: Sql,
  state: string,
  organizationId: string,
  browserNonce: string | undefined,
): Promise<{ request?: OidcRequestRow; failure?: string }> {
  const [request] = await tx.query<OidcRequestRow>(
    'select * from oidc_requests where state = $1 and organization_id = $2 for update',
    [state, organizationId],
  );
  if (!request) return { failure: 'OIDC_STATE_UNKNOWN' };
  if (request.consumed_at) return { request, failure: 'OIDC_STATE_REUSED' };
  if (!presentedByBrowser(request.browser_binding_hash, browserNonce)) {
    return { request, failure: 'OIDC_BROWSER_MISMATCH' };
  }
  await tx.query('update oidc_requests set consumed_at = now() where state = $1', [state]);
  if (new Date(request.expires_at).getTime() <= Date.now()) return { request, failure: 'OIDC_TIMEOUT' };
  return { request };
}

/**
 * What the provider answered: an error (RFC 6749 §4.1.2.1; OpenID Connect Core §3.1.2.6), or
 * the code exchanged — with the PKCE verifier, state and nonce this request was made with — for
 * validated ID token claims, topped up from UserInfo when the email is only given there (§5.4).
 */
async function providerAnswer(
  platform: Platform,
  organizationId: string,
  currentUrl: URL,
  state: string,
  request: OidcRequestRow,
  wantEmail: boolean,
): Promise<{ claims: Claims } | { failure: string; error?: string }> {
  const error = currentUrl.searchParams.get('error');
  if (error) {
    const failure =
      error === 'access_denied'
        ? 'OIDC_CANCELLED'
        : ['login_required', 'interaction_required', 'account_selection_required'].includes(error)
          ? 'OIDC_AUTHN_FAILED'
          : 'OIDC_IDP_ERROR';
    return { failure, error };
  }
  const provider = await loadProvider(platform.db, organizationId);
  if (!provider) return { failure: 'OIDC_NOT_CONFIGURED' };
  try {
    const configuration = await configurationFor(platform, provider);
    const tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
      pkceCodeVerifier: platform.secrets.open(request.code_verifier_sealed),
      expectedState: state,
      expectedNonce: request.nonce,
      idTokenExpected: true,
    });
    let claims: Claims | undefined = tokens.claims();
    if (!claims) return { failure: 'OIDC_TOKEN_REJECTED' };
    if (claims.email === undefined && wantEmail) {
      const userInfo = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub);
      claims = { ...claims, email: userInfo.email, email_verified: userInfo.email_verified };
    }
    return { claims };
  } catch (caught) {
    return { failure: 'OIDC_TOKEN_REJECTED', error: failureText(caught) };
  }
}

/** The verified email of the claims, lower-cased, or undefined when absent or not verified. */
function verifiedEmail(claims: Claims): string | undefined {
  if (typeof claims.email !== 'string' || claims.email_verified !== true) return undefined;
  return claims.email.toLowerCase();
}

export interface CallbackResultWithPurpose extends CallbackResult {
  purpose?: 'staff';
  redirectTo?: string;
  /** The browser presented the request's nonce, which is now used up: clear its cookie. */
  bindingUsed?: true;
}

/**
 * The redirect back from the provider: one state, in the browser that started it (`browserNonce`
 * is what its round-trip cookie holds, if anything), once, in time; then the code exchange.
 */
export async function completeOidcCallback(
  platform: Platform,
  organizationId: string,
  currentUrl: URL,
  who: Who,
  browserNonce: string | undefined,
): Promise<CallbackResultWithPurpose> {
  const state = currentUrl.searchParams.get('state');
  if (!state) return { passed: false, reason: 'OIDC_STATE_MISSING' };
  const claimed = await platform.db.transaction((tx) =>
    claimRequest(tx, state, organizationId, browserNonce),
  );
  // Claiming the request used up the browser's nonce; a refused claim leaves the cookie alone.
  const used = claimed.request && (claimed.failure === undefined || claimed.failure === 'OIDC_TIMEOUT');
  return {
    ...(await answerCallback(platform, organizationId, currentUrl, who, state, claimed)),
    ...(used ? { bindingUsed: true as const } : {}),
  };
}

/** What a claimed (or refused) request's answer comes to: a staff sign-in, or the signer's check. */
async function answerCallback(
  platform: Platform,
  organizationId: string,
  currentUrl: URL,
  who: Who,
  state: string,
  claimed: { request?: OidcRequestRow; failure?: string },
): Promise<CallbackResultWithPurpose> {
  const { request } = claimed;
  if (request?.purpose === 'staff') {
    return {
      ...(await staffSignIn(platform, organizationId, currentUrl, state, request, claimed.failure)),
      purpose: 'staff',
    };
  }
  const [check] = request?.identity_check_id
    ? await platform.db.query<IdentityCheckRow>('select * from identity_checks where id = $1', [
        request.identity_check_id,
      ])
    : [];
  if (!request || !check) return { passed: false, reason: 'OIDC_STATE_UNKNOWN' };
  if (claimed.failure) return record(platform, check, { passed: false, reason: claimed.failure }, who);

  const matchEmail = check.settings.matchEmail !== false;
  const answer = await providerAnswer(platform, organizationId, currentUrl, state, request, matchEmail);
  if ('failure' in answer) {
    const result = {
      passed: false,
      reason: answer.failure,
      ...(answer.error ? { error: answer.error } : {}),
    };
    return record(platform, check, result, who);
  }
  const { claims } = answer;
  const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
  const evidence = {
    method: 'OpenID Connect',
    issuer: claims.iss,
    subject: claims.sub,
    email: email ?? null,
    emailVerified: claims.email_verified === true,
    acr: claims.acr ?? null,
    amr: claims.amr ?? null,
    authTime: claims.auth_time ?? null,
  };
  if (matchEmail) {
    const [recipient] = await platform.db.query<{ email: string }>(
      'select email from recipients where id = $1',
      [check.recipient_id],
    );
    if (!verifiedEmail(claims)) {
      return record(platform, check, { passed: false, reason: 'OIDC_EMAIL_UNVERIFIED' }, who);
    }
    if (email !== recipient?.email)
      return record(platform, check, { passed: false, reason: 'OIDC_EMAIL_MISMATCH' }, who);
  }
  return record(platform, check, { passed: true, reason: 'OIDC_PASSED' }, who, evidence);
}

/** A staff member's SSO answer: a verified email, then a one-time sign-in code for that user. */
async function staffSignIn(
  platform: Platform,
  organizationId: string,
  currentUrl: URL,
  state: string,
  request: OidcRequestRow,
  failure: string | undefined,
): Promise<CallbackResultWithPurpose> {
  const refused = (reason: string, error?: string): CallbackResultWithPurpose => {
    platform.log.info({ organizationId, reason }, 'staff OpenID Connect sign-in refused');
    return { passed: false, reason, ...(error ? { error } : {}) };
  };
  if (failure) return refused(failure);
  const answer = await providerAnswer(platform, organizationId, currentUrl, state, request, true);
  if ('failure' in answer) return refused(answer.failure, answer.error);
  const email = verifiedEmail(answer.claims);
  if (!email) return refused('OIDC_EMAIL_UNVERIFIED');
  const result = await platform.db.transaction((tx) =>
    issueSsoSignInCode(platform, tx, { organizationId, email, method: 'oidc' }),
  );
  return result.passed ? result : refused(result.reason);
}

async function record(
  platform: Platform,
  check: IdentityCheckRow,
  result: CallbackResult,
  who: Who,
  evidence?: Record<string, unknown>,
): Promise<CallbackResult> {
  await platform.db.transaction(async (tx) => {
    const [current] = await tx.query<IdentityCheckRow>(
      'select * from identity_checks where id = $1 for update',
      [check.id],
    );
    if (current && current.status !== 'passed') {
      await updateCheck(tx, check.id, {
        status: result.passed ? 'passed' : 'failed',
        reason: result.passed ? null : result.reason,
        ...(result.passed ? { passed_at: new Date(), evidence: evidence ?? null } : {}),
      });
    }
    const actor = { actor: `recipient:${check.recipient_id}`, ip: who.ip, userAgent: who.userAgent };
    await appendAuditEvent(
      tx,
      check.envelope_id,
      result.passed ? 'identity.passed' : 'identity.failed',
      actor,
      {
        recipientId: check.recipient_id,
        kind: 'oidc',
        ...(result.passed
          ? { evidence }
          : { reason: result.reason, ...(result.error ? { error: result.error } : {}) }),
      },
    );
  });
  return result;
}
