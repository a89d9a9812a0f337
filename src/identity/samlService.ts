import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SealedSecrets } from '../blobs/sealedSecrets.ts';
import type { Sql } from '../db/database.ts';
import { recipientActor } from '../envelopes/aggregate/signerSession.ts';
import { SignetError } from '../errors.ts';
import { appendAuditEvent } from '../evidence/auditLog.ts';
import type { Who } from '../http/who.ts';
import { emailFromSamlAssertion, issueSsoSignInCode } from '../orgs/sso.ts';
import { outboundFailureOf } from '../outbound/outboundHttp.ts';
import { readSealedKeyFile, sealPlaintextKeyFiles, writeSealedKeyFile } from '../pki/sealedKeyFile.ts';
import type { Platform } from '../platform.ts';
import { presentedByBrowser } from './browserBinding.ts';
import { type IdentityCheckRow, updateCheck } from './checks.ts';
import { checkForRoundTrip } from './roundTrips.ts';
import {
  type AuthnRequest,
  createAuthnRequest,
  createSpKeyPair,
  METADATA_MAX_BYTES,
  NAME_ID_EMAIL,
  parseIdpMetadata,
  type SamlIdpConfig,
  type SamlOutcome,
  type SamlSp,
  validateSamlResponse,
} from './saml/index.ts';
import {
  authnContextClassRefFor,
  type LevelOfAssurance,
  levelOfAssurance,
  matchIdentity,
  meetsLevel,
  parseMatchingDataSet,
} from './saml/matchingDataSet.ts';

/*
 * SAML 2.0 identity checks (SPEC §E) with the database around them: the organisation's IdP,
 * the AuthnRequests in flight (InResponseTo must name one, once, in time — kept here so the rule
 * holds across instances), accepted assertion IDs (replay), and the outcome recorded on the
 * recipient's check with an audit event. The protocol itself — requests, metadata, response
 * validation — lives in ./saml/ and knows nothing of envelopes.
 */

export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
export const DEFAULT_RESPONSE_TIMEOUT_SECONDS = 600;
const METADATA_FETCH_TIMEOUT_MS = 10_000;

interface IdpRow {
  organization_id: string;
  entity_id: string;
  sso_redirect_url: string | null;
  sso_post_url: string | null;
  certificates: string[];
  clock_skew_seconds: number;
  response_timeout_seconds: number;
  staff_sign_in: boolean;
}

/**
 * One key pair signs every organisation's requests and metadata, and decrypts assertions; made
 * once per data directory (one in production), even when the first requests arrive together.
 */
const spKeys = new Map<string, Promise<SpKeyPair>>();
type SpKeyPair = { privateKeyPem: string; certificatePem: string };
const SP_KEY_LABEL = 'signet-saml-sp';

function spKeyPair(dataDir: string, secrets: SealedSecrets): Promise<SpKeyPair> {
  const dir = join(dataDir, 'pki');
  let pair = spKeys.get(dir);
  if (!pair) {
    pair = loadOrCreateSpKeyPair(dir, secrets);
    spKeys.set(dir, pair);
    // A failure (a wrong master key, say) is reported to every caller and tried again later.
    pair.catch(() => spKeys.delete(dir));
  }
  return pair;
}

/**
 * The SP key pair, made on first use. The private key is kept encrypted under the master key
 * like the CA's (pki/sealedKeyFile.ts); node-saml and xml-crypto take the PEM itself, so it is
 * decrypted into memory only. A plaintext key file an earlier version wrote is encrypted first.
 */
async function loadOrCreateSpKeyPair(dir: string, secrets: SealedSecrets): Promise<SpKeyPair> {
  const keysDir = join(dir, 'keys');
  const certificatePath = join(dir, 'saml-sp.crt.pem');
  await sealPlaintextKeyFiles(keysDir, secrets);
  const privateKeyPem = await readSealedKeyFile(keysDir, SP_KEY_LABEL, secrets);
  const certificatePem = await readFile(certificatePath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (privateKeyPem !== undefined && certificatePem !== undefined) return { privateKeyPem, certificatePem };
  const created = createSpKeyPair('Signet SAML Service Provider');
  await writeSealedKeyFile(keysDir, SP_KEY_LABEL, created.privateKeyPem, secrets, { replace: true });
  await writeFile(certificatePath, created.certificatePem);
  return created;
}

export async function serviceProviderFor(platform: Platform, organizationId: string): Promise<SamlSp> {
  const base = `${platform.config.publicUrl}/saml/${organizationId}`;
  const keys = await spKeyPair(platform.config.dataDir, platform.secrets);
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs`, ...keys };
}

export async function loadIdp(
  sql: Sql,
  organizationId: string,
): Promise<(SamlIdpConfig & { responseTimeoutSeconds: number; staffSignIn: boolean }) | undefined> {
  const [row] = await sql.query<IdpRow>('select * from saml_identity_providers where organization_id = $1', [
    organizationId,
  ]);
  if (!row) return undefined;
  return {
    entityId: row.entity_id,
    ...(row.sso_redirect_url ? { ssoRedirectUrl: row.sso_redirect_url } : {}),
    ...(row.sso_post_url ? { ssoPostUrl: row.sso_post_url } : {}),
    certificatesPem: row.certificates,
    clockSkewSeconds: row.clock_skew_seconds,
    responseTimeoutSeconds: row.response_timeout_seconds,
    staffSignIn: row.staff_sign_in,
  };
}

export interface IdpSettings {
  metadataXml?: string | undefined;
  metadataUrl?: string | undefined;
  clockSkewSeconds?: number | undefined;
  responseTimeoutSeconds?: number | undefined;
  /** Whether staff of the organisation may sign in to Signet through this IdP (default false). */
  staffSignIn?: boolean | undefined;
}

/** Imports the IdP's metadata (given, or fetched from its URL) and stores what Signet trusts. */
export async function configureIdp(platform: Platform, organizationId: string, settings: IdpSettings) {
  const xml = settings.metadataXml ?? (await fetchMetadata(platform, settings.metadataUrl));
  const idp = parseIdpMetadata(xml);
  const clockSkew = settings.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const timeout = settings.responseTimeoutSeconds ?? DEFAULT_RESPONSE_TIMEOUT_SECONDS;
  await platform.db.query(
    `insert into saml_identity_providers (organization_id, entity_id, sso_redirect_url, sso_post_url, certificates,
       clock_skew_seconds, response_timeout_seconds, metadata_xml, staff_sign_in, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
     on conflict (organization_id) do update set entity_id = excluded.entity_id,
       sso_redirect_url = excluded.sso_redirect_url, sso_post_url = excluded.sso_post_url,
       certificates = excluded.certificates, clock_skew_seconds = excluded.clock_skew_seconds,
       response_timeout_seconds = excluded.response_timeout_seconds, metadata_xml = excluded.metadata_xml,
       staff_sign_in = excluded.staff_sign_in, updated_at = now()`,
    [
      organizationId,
      idp.entityId,
      idp.ssoRedirectUrl ?? null,
      idp.ssoPostUrl ?? null,
      JSON.stringify(idp.certificatesPem),
      clockSkew,
      timeout,
      xml,
      settings.staffSignIn ?? false,
    ],
  );
  return idpView(platform, organizationId);
}

/**
 * The IdP's metadata from the URL an organisation gave: a tenant URL, so only public addresses
 * unless the operator allows more (src/outbound/). What went wrong is said in the outbound
 * module's generic words: never the body, the address or a system error.
 */
async function fetchMetadata(platform: Platform, url: string | undefined): Promise<string> {
  if (!url) throw new SignetError('SAML_METADATA_REQUIRED', 'Give metadataXml or metadataUrl.');
  try {
    const answer = await platform.outbound.request({
      url,
      policy: 'tenant',
      headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
      maxBytes: METADATA_MAX_BYTES,
      timeoutMs: METADATA_FETCH_TIMEOUT_MS,
    });
    return Buffer.from(answer.body).toString('utf8');
  } catch (error) {
    const failure = outboundFailureOf(error);
    if (!failure) throw error;
    if (failure.code === 'OUTBOUND_TOO_LARGE') {
      throw new SignetError('SAML_METADATA_INVALID', 'The metadata is larger than 1 MiB.');
    }
    throw new SignetError(
      'SAML_METADATA_UNREACHABLE',
      `The metadata URL could not be fetched: ${failure.detail}`,
    );
  }
}

export async function idpView(platform: Platform, organizationId: string) {
  const idp = await loadIdp(platform.db, organizationId);
  const sp = await serviceProviderFor(platform, organizationId);
  return {
    serviceProvider: { entityId: sp.entityId, metadataUrl: sp.entityId, acsUrl: sp.acsUrl },
    identityProvider: idp
      ? {
          entityId: idp.entityId,
          ssoRedirectUrl: idp.ssoRedirectUrl ?? null,
          ssoPostUrl: idp.ssoPostUrl ?? null,
          certificates: idp.certificatesPem.length,
          clockSkewSeconds: idp.clockSkewSeconds,
          responseTimeoutSeconds: idp.responseTimeoutSeconds,
          staffSignIn: idp.staffSignIn,
        }
      : null,
    staffSignInUrl: `${platform.config.publicUrl}/auth/sso/${organizationId}/saml`,
  };
}

/**
 * The signer starts their SAML check: a signed AuthnRequest, remembered until it is answered,
 * with the hash of the nonce the starting browser gets in a cookie (./browserBinding.ts).
 */
export async function startSamlCheck(
  platform: Platform,
  token: string,
  binding: 'redirect' | 'post',
  who: Who,
  browserBindingHash: string,
) {
  return platform.db.transaction(async (tx) => {
    const { session, check } = await checkForRoundTrip(tx, token, 'saml');
    const organizationId = session.envelope.organization_id;
    const idp = await loadIdp(tx, organizationId);
    if (!idp)
      throw new SignetError('IDENTITY_PROVIDER_REMOVED', 'The sender has no identity provider configured.');
    const sp = await serviceProviderFor(platform, organizationId);
    // RelayState is opaque to the IdP and must not carry the signing token (a capability).
    // The level the sender requires is asked for up front, so the IdP can step up rather than
    // answer with a level Signet would then refuse (SAML core §3.3.2.2.1).
    const { minLevel } = check.settings as { minLevel?: LevelOfAssurance };
    const request = createAuthnRequest(sp, idp, {
      binding,
      relayState: check.id,
      authnContextClassRefs: minLevel ? [authnContextClassRefFor(minLevel)] : [],
    });
    const expiresAt = new Date(request.issueInstant.getTime() + idp.responseTimeoutSeconds * 1000);
    await tx.query(
      `insert into saml_requests (id, organization_id, identity_check_id, expires_at, browser_binding_hash)
       values ($1, $2, $3, $4, $5)`,
      [request.id, organizationId, check.id, expiresAt, browserBindingHash],
    );
    await updateCheck(tx, check.id, { status: 'pending', reason: 'SAML_IN_PROGRESS' });
    await appendAuditEvent(
      tx,
      session.envelope.id,
      'identity.saml.requested',
      recipientActor(session.recipient, who),
      {
        recipientId: session.recipient.id,
        requestId: request.id,
        binding,
        idp: idp.entityId,
        expiresAt: expiresAt.toISOString(),
      },
    );
    return { ...request, organizationId };
  });
}

/** A staff member starts signing in to Signet through the organisation's IdP (SSO), bound like a signer's check. */
export async function startStaffSamlSignIn(
  platform: Platform,
  organizationId: string,
  browserBindingHash: string,
): Promise<AuthnRequest> {
  const idp = await loadIdp(platform.db, organizationId);
  if (!idp?.staffSignIn) {
    throw new SignetError('SSO_NOT_CONFIGURED', 'This organisation has no SAML sign-in for staff.');
  }
  const request = createAuthnRequest(await serviceProviderFor(platform, organizationId), idp, {
    binding: 'redirect',
    relayState: 'staff',
    // Staff are found by email: ask for it as the NameID (SAML core §8.3.2).
    nameIdFormat: NAME_ID_EMAIL,
  });
  const expiresAt = new Date(request.issueInstant.getTime() + idp.responseTimeoutSeconds * 1000);
  await platform.db.query(
    `insert into saml_requests (id, organization_id, purpose, expires_at, browser_binding_hash)
     values ($1, $2, 'staff', $3, $4)`,
    [request.id, organizationId, expiresAt, browserBindingHash],
  );
  return request;
}

export interface AcsResult {
  passed: boolean;
  reason: string;
  statusCodes?: string[];
  /** Staff sign-in: where the browser goes next, carrying its one-time code. */
  redirectTo?: string;
  /** Set when the request was a staff member's sign-in, not a signer's identity check. */
  purpose?: 'staff';
  /** The browser presented the request's nonce, which is now used up: clear its cookie. */
  bindingUsed?: true;
}

/**
 * The Assertion Consumer Service: validates the answer and records it on the recipient's check.
 * `browserNonce` is what the posting browser's round-trip cookie holds, if anything.
 */
export async function consumeSamlResponse(
  platform: Platform,
  organizationId: string,
  samlResponse: string,
  who: Who,
  browserNonce: string | undefined,
): Promise<AcsResult> {
  const idp = await loadIdp(platform.db, organizationId);
  if (!idp) return { passed: false, reason: 'SAML_NOT_CONFIGURED' };
  const sp = await serviceProviderFor(platform, organizationId);
  const outcome = await validateSamlResponse(samlResponse, { sp, idp });
  const inResponseTo = outcome.kind === 'success' ? outcome.inResponseTo : outcome.inResponseTo;
  if (!inResponseTo) {
    // Nothing ties it to a signer; the signer's page says so, and the operator log keeps it.
    platform.log.warn(
      { reason: outcome.kind === 'rejected' ? outcome.reason : outcome.kind },
      'SAML response without a request',
    );
    return { passed: false, reason: outcome.kind === 'rejected' ? outcome.reason : 'SAML_UNSOLICITED' };
  }
  return platform.db.transaction(async (tx) => {
    const [request] = await tx.query<SamlRequestRow>(
      'select * from saml_requests where id = $1 and organization_id = $2 for update',
      [inResponseTo, organizationId],
    );
    if (!request) return { passed: false, reason: 'SAML_IN_RESPONSE_TO_UNKNOWN' };
    const claimFailure = await claimRequest(tx, request, browserNonce);
    // Claiming the request used up the browser's nonce; a refused claim leaves the cookie alone.
    const claimed = claimFailure === undefined || claimFailure === 'SAML_TIMEOUT';
    const used = claimed ? { bindingUsed: true as const } : {};
    if (request.purpose === 'staff') {
      return { ...(await staffSignIn(platform, tx, organizationId, claimFailure, outcome)), ...used };
    }
    return {
      ...(await signerCheck(tx, organizationId, idp, request, claimFailure, outcome, who)),
      ...used,
    };
  });
}

interface SamlRequestRow {
  id: string;
  purpose: 'signer' | 'staff';
  identity_check_id: string | null;
  expires_at: Date | string;
  consumed_at: Date | string | null;
  browser_binding_hash: string | null;
}

/** The answer to a signer's request, once claimed, recorded on their check with an audit event. */
async function signerCheck(
  tx: Sql,
  organizationId: string,
  idp: SamlIdpConfig,
  request: SamlRequestRow,
  claimFailure: string | undefined,
  outcome: SamlOutcome,
  who: Who,
): Promise<AcsResult> {
  const [check] = await tx.query<IdentityCheckRow>('select * from identity_checks where id = $1 for update', [
    request.identity_check_id,
  ]);
  if (!check) return { passed: false, reason: 'SAML_IN_RESPONSE_TO_UNKNOWN' };
  const record = async (result: AcsResult, evidence?: Record<string, unknown>) => {
    const actor = { actor: `recipient:${check.recipient_id}`, ip: who.ip, userAgent: who.userAgent };
    if (check.status !== 'passed') {
      await updateCheck(tx, check.id, {
        status: result.passed ? 'passed' : 'failed',
        reason: result.passed ? null : result.reason,
        ...(result.passed ? { passed_at: new Date(), evidence: evidence ?? null } : {}),
      });
    }
    await appendAuditEvent(
      tx,
      check.envelope_id,
      result.passed ? 'identity.passed' : 'identity.failed',
      actor,
      {
        recipientId: check.recipient_id,
        kind: 'saml',
        requestId: request.id,
        ...(result.passed ? { evidence } : { reason: result.reason }),
        ...(result.statusCodes ? { statusCodes: result.statusCodes } : {}),
      },
    );
    return result;
  };
  if (claimFailure) return record({ passed: false, reason: claimFailure });
  return record(...(await judge(tx, organizationId, idp, check, outcome)));
}

/**
 * Claims the request an answer names: once, only in the browser that started it (else it stays
 * open for that browser), within its window.
 */
async function claimRequest(
  tx: Sql,
  request: SamlRequestRow,
  browserNonce: string | undefined,
): Promise<'SAML_BROWSER_MISMATCH' | 'SAML_IN_RESPONSE_TO_REUSED' | 'SAML_TIMEOUT' | undefined> {
  if (request.consumed_at) return 'SAML_IN_RESPONSE_TO_REUSED';
  if (!presentedByBrowser(request.browser_binding_hash, browserNonce)) return 'SAML_BROWSER_MISMATCH';
  await tx.query('update saml_requests set consumed_at = now() where id = $1', [request.id]);
  if (new Date(request.expires_at).getTime() <= Date.now()) return 'SAML_TIMEOUT';
  return undefined;
}

/**
 * What every answer must get past, whoever asked: a validated success whose assertion was never
 * accepted before (the replay cache holds each ID until the assertion expires). Undefined when
 * it did; otherwise the failure, with the IdP's status codes.
 */
async function refusal(
  tx: Sql,
  organizationId: string,
  outcome: SamlOutcome,
): Promise<(AcsResult & { passed: false }) | undefined> {
  switch (outcome.kind) {
    case 'rejected':
      return { passed: false, reason: outcome.reason };
    case 'cancelled':
      return { passed: false, reason: 'SAML_CANCELLED', statusCodes: outcome.statusCodes };
    case 'authn-failed':
      return { passed: false, reason: 'SAML_AUTHN_FAILED', statusCodes: outcome.statusCodes };
    case 'idp-error':
      return { passed: false, reason: 'SAML_IDP_ERROR', statusCodes: outcome.statusCodes };
    case 'success':
      break;
  }
  const replay = await tx.query(
    `insert into saml_assertion_ids (organization_id, assertion_id, expires_at) values ($1, $2, $3)
     on conflict do nothing returning assertion_id`,
    [organizationId, outcome.assertionId, outcome.assertionExpiresAt],
  );
  if (replay.length === 0) return { passed: false, reason: 'SAML_ASSERTION_REPLAYED' };
  await tx.query('delete from saml_assertion_ids where expires_at < now()');
  return undefined;
}

/** The answer to a staff member's SSO request, once claimed: a sign-in code for the email it vouches for. */
async function staffSignIn(
  platform: Platform,
  tx: Sql,
  organizationId: string,
  claimFailure: string | undefined,
  outcome: SamlOutcome,
): Promise<AcsResult> {
  const failed = (result: AcsResult): AcsResult => {
    platform.log.info({ organizationId, reason: result.reason }, 'staff SAML sign-in refused');
    return { ...result, purpose: 'staff' };
  };
  if (claimFailure) return failed({ passed: false, reason: claimFailure });
  const refused = await refusal(tx, organizationId, outcome);
  if (refused) return failed(refused);
  if (outcome.kind !== 'success') return failed({ passed: false, reason: 'SAML_INVALID' });
  const result = await issueSsoSignInCode(platform, tx, {
    organizationId,
    email: emailFromSamlAssertion(outcome),
    method: 'saml',
  });
  return result.passed ? { ...result, purpose: 'staff' } : failed(result);
}

/** From a validated outcome to the check's result: replay, level of assurance, MDS and matching. */
async function judge(
  tx: Sql,
  organizationId: string,
  idp: SamlIdpConfig,
  check: IdentityCheckRow,
  outcome: SamlOutcome,
): Promise<[AcsResult, Record<string, unknown>?]> {
  const refused = await refusal(tx, organizationId, outcome);
  if (refused) return [refused];
  if (outcome.kind !== 'success') return [{ passed: false, reason: 'SAML_INVALID' }];

  const settings = check.settings as {
    minLevel?: LevelOfAssurance;
    expected?: { firstName: string; middleNames?: string; surname: string; dateOfBirth: string };
  };
  const level = levelOfAssurance(outcome.authnContextClassRef);
  const evidence: Record<string, unknown> = {
    method: 'SAML 2.0',
    idp: idp.entityId,
    nameId: outcome.nameId,
    assertionId: outcome.assertionId,
    authnContextClassRef: outcome.authnContextClassRef ?? null,
    levelOfAssurance: level ?? null,
  };
  if (settings.minLevel && !meetsLevel(level, settings.minLevel)) {
    return [{ passed: false, reason: 'SAML_LEVEL_TOO_LOW' }];
  }
  if (!settings.expected) return [{ passed: true, reason: 'SAML_PASSED' }, evidence];
  const parsed = parseMatchingDataSet(outcome.assertionXml, {
    contentNamespaces: outcome.contentNamespaces,
  });
  if (!parsed.ok) {
    return [
      {
        passed: false,
        reason: 'MDS_INVALID',
        statusCodes: parsed.faults.map((f) => `${f.attribute}:${f.code}`),
      },
    ];
  }
  const match = matchIdentity(parsed.mds, settings.expected, new Date());
  evidence.match = { result: match.result, reasons: match.reasons };
  if (match.result !== 'match')
    return [{ passed: false, reason: 'MDS_NO_MATCH', statusCodes: match.reasons }];
  return [{ passed: true, reason: 'SAML_PASSED' }, evidence];
}
