import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AuthnRequest } from '../../src/identity/saml/index.ts';

/*
 * A real SAML 2.0 identity provider for tests: pysaml2's saml2.server.Server, driven by
 * test/peers/pysaml2_idp.py, one short-lived process per message. It parses Signet's real
 * AuthnRequest (and checks its signature against Signet's SP metadata) and answers its ID with a
 * Response signed — and, if asked, encrypted — by xmlsec1, as pysaml2 does in production.
 * Nothing long-lived is started; the IdP's key and certificate come from openssl in a temp dir.
 */

/** Must be the Debian python: the pyenv `python3` on PATH has no saml2. */
export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pysaml2_idp.py', import.meta.url));
export const PYSAML2_INSTALL = 'apt-get install -y python3-pysaml2 xmlsec1 openssl';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let available: boolean | undefined;

/** True when /usr/bin/python3 can import saml2 and xmlsec1 and openssl are installed. */
export function hasPysaml2(): Promise<boolean> {
  if (available !== undefined) return Promise.resolve(available);
  if (!executable(PYTHON) || !executable('/usr/bin/xmlsec1') || !executable('/usr/bin/openssl')) {
    available = false;
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', 'import saml2.server'], (error) => {
      available = !error;
      resolve(available);
    });
  });
}

/** Skips the test with the install command when the peer is missing; the test must then return. */
export async function requirePysaml2(t: TestContext): Promise<boolean> {
  if (await hasPysaml2()) return true;
  t.skip(PYSAML2_INSTALL);
  return false;
}

export interface Pysaml2Idp {
  entityId: string;
  ssoRedirectUrl: string;
  ssoPostUrl: string;
  keyFile: string;
  certFile: string;
  certificatePem: string;
  privateKeyPem: string;
  /** pysaml2's own metadata for this IdP (saml2.metadata.entity_descriptor). */
  metadataXml: string;
  cleanup(): Promise<void>;
}

export interface EncryptionOptions {
  block?: 'aes256-cbc' | 'aes128-cbc' | 'aes128-gcm' | 'aes256-gcm' | '3des';
  keyTransport?: 'rsa-oaep' | 'rsa-1_5';
}

/** How the IdP bends its answer; the defaults make a valid, assertion-signed Response. */
export interface ResponseOptions {
  signResponse?: boolean;
  /** Default true. */
  signAssertion?: boolean;
  signatureAlgorithm?: 'sha256' | 'sha1';
  encrypt?: EncryptionOptions;
  /** The IdP's clock relative to ours, in seconds (positive = ahead). */
  clockOffsetSeconds?: number;
  /** Relative to the IdP's clock: Conditions NotBefore (default 0), NotOnOrAfter (default 300). */
  notBeforeSeconds?: number;
  notOnOrAfterSeconds?: number;
  /** Relative to the IdP's clock: bearer SubjectConfirmationData NotOnOrAfter (default 300). */
  subjectNotOnOrAfterSeconds?: number;
  /** null = no AudienceRestriction at all. */
  audience?: string | null;
  destination?: string;
  recipient?: string;
  /** null = unsolicited (no InResponseTo anywhere). */
  inResponseTo?: string | null;
  issuer?: string;
  status?: 'success' | 'authn-failed' | 'cancel' | 'error' | 'requester-error';
  nameId?: string;
  authnContextClassRef?: string;
  attributes?: Record<string, string[]>;
  /**
   * Whole `<saml:Attribute>` elements as XML (each declaring its namespaces), spliced into the
   * AttributeStatement before signing — for GOV.UK Verify MDS values (xsi:type="ida:…",
   * ida:From/To/Verified, ida:Line children) that pysaml2's object model cannot express.
   */
  attributesXml?: string[];
  /**
   * Namespace declarations (prefix → URI) the IdP writes on the Response and/or the Assertion
   * start tag, for content that relies on them rather than declaring its own. Encrypted, the
   * Assertion is serialised the way pysaml2 does (see self_contained_response in
   * pysaml2_idp.py): its element and attribute names get prefixes declared inside it, while a
   * QName in text, such as an xsi:type value, keeps the prefix it was written with.
   */
  declareNamespaces?: { response?: Record<string, string>; assertion?: Record<string, string> };
}

export interface ParsedAuthnRequest {
  id: string;
  issuer: string;
  acsUrl: string;
  destination: string;
  protocolBinding: string;
  signatureVerified: boolean;
  nameIdFormat: string | null;
}

function runOpenssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/openssl', args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${stderr}`));
      else resolve();
    });
  });
}

function runIdp<T>(command: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`pysaml2 IdP exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`pysaml2 IdP answered non-JSON: ${stdout.slice(0, 500)} ${stderr.slice(-500)}`));
      }
    });
    child.stdin.end(JSON.stringify(command));
  });
}

/** Generates the IdP's key and certificate and reads pysaml2's metadata for it. */
export async function createPysaml2Idp(
  entityId = 'https://idp.example.test/idp/shibboleth',
): Promise<Pysaml2Idp> {
  const dir = await mkdtemp(join(tmpdir(), 'signet-pysaml2-'));
  const keyFile = join(dir, 'idp.key.pem');
  const certFile = join(dir, 'idp.crt.pem');
  await runOpenssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-sha256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '30',
    '-subj',
    '/CN=pysaml2 test IdP',
  ]);
  const base = new URL(entityId).origin;
  const idp = {
    entityId,
    ssoRedirectUrl: `${base}/idp/sso/redirect`,
    ssoPostUrl: `${base}/idp/sso/post`,
    keyFile,
    certFile,
  };
  const { metadata } = await runIdp<{ metadata: string }>({ command: 'metadata', idp });
  return {
    ...idp,
    certificatePem: readFileSync(certFile, 'utf8'),
    privateKeyPem: readFileSync(keyFile, 'utf8'),
    metadataXml: metadata,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The message fields as the browser would carry them to the IdP. */
export function requestMessage(request: AuthnRequest): {
  binding: 'redirect' | 'post';
  message: Record<string, string>;
} {
  if (request.binding === 'post') return { binding: 'post', message: { ...request.fields } };
  const query = new URL(request.url).searchParams;
  return { binding: 'redirect', message: Object.fromEntries(query.entries()) };
}

function idpArgs(idp: Pysaml2Idp) {
  return {
    entityId: idp.entityId,
    ssoRedirectUrl: idp.ssoRedirectUrl,
    ssoPostUrl: idp.ssoPostUrl,
    keyFile: idp.keyFile,
    certFile: idp.certFile,
  };
}

/** pysaml2 parses Signet's AuthnRequest as the IdP would, verifying its signature. */
export function parseAuthnRequestWithPysaml2(
  idp: Pysaml2Idp,
  spMetadataXml: string,
  request: AuthnRequest,
): Promise<ParsedAuthnRequest> {
  return runIdp({
    command: 'parse-request',
    idp: idpArgs(idp),
    spMetadata: spMetadataXml,
    ...requestMessage(request),
  });
}

/** pysaml2 answers Signet's AuthnRequest; returns the base64 SAMLResponse and its XML. */
export function answerWithPysaml2(
  idp: Pysaml2Idp,
  spMetadataXml: string,
  request: AuthnRequest,
  options: ResponseOptions = {},
): Promise<{ samlResponse: string; xml: string; requestId: string }> {
  return runIdp({
    command: 'respond',
    idp: idpArgs(idp),
    spMetadata: spMetadataXml,
    ...requestMessage(request),
    options,
  });
}
