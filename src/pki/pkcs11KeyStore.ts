import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { Pkcs11Config } from '../config/config.ts';
import { SignetError } from '../errors.ts';
import type { EphemeralKey, KeyStore, StoredKey } from './keyStore.ts';
import type { SignatureAlgorithm, SigningKey } from './signer.ts';

/*
 * A KeyStore whose private keys are generated inside a PKCS#11 token and never leave it
 * (PKCS#11 v2.40 base specification; SoftHSM2 in tests, a network HSM in production).
 *
 * pkcs11js rather than graphene-pk11: graphene is an object layer over pkcs11js that adds
 * nothing we need (we use eight C_ functions) and has no promise-returning sign, while
 * pkcs11js' `C_SignAsync` runs C_Sign on a libuv worker thread. That matters: an RSA-2048
 * sign in SoftHSM2 takes about a millisecond of CPU, which the synchronous call would spend
 * on the event loop, and with several sessions the token signs on more than one core.
 *
 * Concurrency (PKCS#11 §5.1.6 and §6.7): a session carries at most one active operation and
 * must not be used from two threads at once, but object handles and the login state belong to
 * the whole application. So every operation borrows a session from a small pool for its whole
 * duration (C_SignInit … C_Sign), and the library is initialised with CKF_OS_LOCKING_OK so the
 * token may be entered from several worker threads.
 */

/** DER of the OID prime256v1 (1.2.840.10045.3.1.7), the CKA_EC_PARAMS of a P-256 key (RFC 5480 §2.1.1.1). */
const P256_EC_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const DEFAULT_RSA_MODULUS_BITS = 2048;
const RSA_PUBLIC_EXPONENT = Buffer.from([0x01, 0x00, 0x01]); // 65537
/** Objects for one-time keys all carry this label; they are told apart by CKA_ID. */
const EPHEMERAL_LABEL = 'signet-ephemeral';
/** libuv runs four worker threads by default, so more sessions than that would only queue there. */
const DEFAULT_SESSIONS = 4;
const SIGNATURE_BUFFER_BYTES = 512; // RSA up to 4096 bits; CKM_ECDSA on P-256 returns 64 bytes

type Handle = Buffer;

/** Mirrors `KeyGenerationOptions` of keyStore.ts: the RSA modulus size; ignored for ECDSA. */
interface GenerationOptions {
  rsaModulusLength?: 2048 | 3072 | 4096;
}

export interface Pkcs11KeyStoreOptions {
  /** Sessions kept open for concurrent operations (default 4). */
  sessions?: number;
}

/** Opens the token named in the configuration and logs in; fails with a clear error if it cannot. */
export async function openPkcs11KeyStore(
  config: Pkcs11Config,
  options: Pkcs11KeyStoreOptions = {},
): Promise<Pkcs11KeyStore> {
  const library = acquireLibrary(config.module);
  let loginSession: Handle | undefined;
  try {
    const slot = findTokenSlot(library.pkcs11, config);
    loginSession = library.pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    logIn(library.pkcs11, loginSession, config);
    return new Pkcs11KeyStore(library, slot, loginSession, config.tokenLabel, options.sessions);
  } catch (error) {
    if (loginSession) library.pkcs11.C_CloseSession(loginSession);
    releaseLibrary(library);
    throw error;
  }
}

export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11';
  readonly tokenLabel: string;
  private readonly library: LoadedLibrary;
  private readonly pool: SessionPool;
  private readonly loginSession: Handle;
  /** Serialises `generate` so two calls cannot both find a label free and both take it. */
  private generating: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  /** Use `openPkcs11KeyStore`. */
  constructor(
    library: LoadedLibrary,
    slot: Handle,
    loginSession: Handle,
    tokenLabel: string,
    sessions?: number,
  ) {
    this.library = library;
    this.loginSession = loginSession;
    this.tokenLabel = tokenLabel;
    const size = sessions ?? DEFAULT_SESSIONS;
    this.pool = new SessionPool(
      () => library.pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION),
      Number.isInteger(size) && size > 0 ? size : DEFAULT_SESSIONS,
    );
  }

  private get pkcs11(): pkcs11js.PKCS11 {
    return this.library.pkcs11;
  }

  async generate(
    label: string,
    algorithm: SignatureAlgorithm,
    options: GenerationOptions = {},
  ): Promise<StoredKey> {
    assertUsableLabel(label);
    const run = this.generating.then(() =>
      this.pool.use(async (session) => {
        if (this.findKeys(session, label).length > 0) {
          throw new SignetError(
            'KEY_LABEL_TAKEN',
            `token "${this.tokenLabel}" already holds a key labelled "${label}"`,
          );
        }
        return this.generatePair(session, { label, algorithm, persistent: true, ...options });
      }),
    );
    this.generating = run.catch(() => undefined);
    const pair = await run;
    return { label, key: this.signingKey(pair.privateKey, algorithm), publicKey: pair.publicKey };
  }

  async open(label: string): Promise<StoredKey | undefined> {
    return this.pool.use((session) => {
      const privateKeys = this.find(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
      ]);
      const [privateKey, ...others] = privateKeys;
      if (!privateKey) return undefined;
      if (others.length > 0) {
        throw new SignetError(
          'KEY_LABEL_AMBIGUOUS',
          `token "${this.tokenLabel}" holds ${privateKeys.length} private keys labelled "${label}"`,
        );
      }
      const algorithm = this.algorithmOf(session, privateKey, label);
      const publicKey = this.publicKeyOf(session, privateKey, algorithm, label);
      return { label, key: this.signingKey(privateKey, algorithm), publicKey };
    });
  }

  async generateEphemeral(
    algorithm: SignatureAlgorithm,
    options: GenerationOptions = {},
  ): Promise<EphemeralKey> {
    // Session objects (CKA_TOKEN false) live until destroyed or until the session that made them
    // closes (PKCS#11 §4.4); pool sessions stay open for the store's lifetime.
    const pair = await this.pool.use((session) =>
      this.generatePair(session, { label: EPHEMERAL_LABEL, algorithm, persistent: false, ...options }),
    );
    const key = this.signingKey(pair.privateKey, algorithm);
    let destroyed: Promise<void> | undefined;
    const destroy = () => {
      destroyed ??= this.pool.use(async (session) => {
        this.pkcs11.C_DestroyObject(session, pair.privateKey);
        this.pkcs11.C_DestroyObject(session, pair.publicKeyHandle);
      });
      return destroyed;
    };
    const sign = (data: Uint8Array) =>
      destroyed
        ? Promise.reject(new SignetError('KEY_DESTROYED', 'this one-time key was already destroyed'))
        : key.sign(data);
    return { key: { signatureAlgorithm: algorithm, sign }, publicKey: pair.publicKey, destroy };
  }

  /** Labels of the persistent private keys on the token, sorted. */
  async list(): Promise<string[]> {
    return this.pool.use((session) => {
      const keys = this.find(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_TOKEN, value: true },
      ]);
      const labels = keys.map((key) => this.attribute(session, key, pkcs11js.CKA_LABEL).toString('utf8'));
      return labels.sort();
    });
  }

  /** Waits for running operations, then logs out, closes every session and finalises the module. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const sessions = await this.pool.drain();
      const lastUser = this.library.users === 1;
      // Login state is shared by every session of the process on this token (PKCS#11 §6.7.1):
      // log out only when no other store in this process is using the module.
      if (lastUser)
        ignoreCodes(() => this.pkcs11.C_Logout(this.loginSession), [pkcs11js.CKR_USER_NOT_LOGGED_IN]);
      for (const session of [...sessions, this.loginSession]) {
        ignoreCodes(() => this.pkcs11.C_CloseSession(session), [pkcs11js.CKR_SESSION_HANDLE_INVALID]);
      }
      releaseLibrary(this.library);
    })();
    return this.closing;
  }

  private signingKey(privateKey: Handle, signatureAlgorithm: SignatureAlgorithm): SigningKey {
    return {
      signatureAlgorithm,
      sign: (data) =>
        this.pool.use((session) => this.signWith(session, privateKey, signatureAlgorithm, data)),
    };
  }

  private async signWith(
    session: Handle,
    privateKey: Handle,
    algorithm: SignatureAlgorithm,
    data: Uint8Array,
  ): Promise<Uint8Array> {
    const output = Buffer.alloc(SIGNATURE_BUFFER_BYTES);
    if (algorithm === 'rsa-sha256') {
      // PKCS#11 v2.40 current mechanisms §2.1.11: hashes inside the token, emits PKCS#1 v1.5.
      this.pkcs11.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, privateKey);
      return new Uint8Array(await this.pkcs11.C_SignAsync(session, Buffer.from(data), output));
    }
    // CKM_ECDSA signs a hash we supply and returns r‖s (PKCS#11 current mechanisms §2.3.1);
    // CMS and X.509 want a DER ECDSA-Sig-Value (RFC 5753 §2.1.1).
    const digest = createHash('sha256').update(data).digest();
    this.pkcs11.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, privateKey);
    return ecdsaSignatureToDer(await this.pkcs11.C_SignAsync(session, digest, output));
  }

  private async generatePair(
    session: Handle,
    request: { label: string; algorithm: SignatureAlgorithm; persistent: boolean } & GenerationOptions,
  ): Promise<{ privateKey: Handle; publicKeyHandle: Handle; publicKey: Uint8Array }> {
    const id = randomBytes(16);
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: request.persistent },
      { type: pkcs11js.CKA_LABEL, value: request.label },
      { type: pkcs11js.CKA_ID, value: id },
    ];
    const rsa = request.algorithm === 'rsa-sha256';
    const mechanism = { mechanism: rsa ? pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN : pkcs11js.CKM_EC_KEY_PAIR_GEN };
    const publicTemplate = [
      ...common,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_PRIVATE, value: false },
      { type: pkcs11js.CKA_VERIFY, value: true },
      ...(rsa
        ? [
            { type: pkcs11js.CKA_MODULUS_BITS, value: request.rsaModulusLength ?? DEFAULT_RSA_MODULUS_BITS },
            { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: RSA_PUBLIC_EXPONENT },
          ]
        : [{ type: pkcs11js.CKA_EC_PARAMS, value: P256_EC_PARAMS }]),
    ];
    const privateTemplate = [
      ...common,
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_SIGN, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: false },
      { type: pkcs11js.CKA_UNWRAP, value: false },
      { type: pkcs11js.CKA_DERIVE, value: false },
    ];
    // RSA generation takes tens to hundreds of milliseconds: keep it off the event loop.
    const pair = await this.pkcs11.C_GenerateKeyPairAsync(
      session,
      mechanism,
      publicTemplate,
      privateTemplate,
    );
    const publicKey = this.subjectPublicKeyInfo(session, pair.publicKey, request.algorithm);
    return { privateKey: pair.privateKey, publicKeyHandle: pair.publicKey, publicKey };
  }

  /** Persistent private and public keys carrying `label`. */
  private findKeys(session: Handle, label: string): Handle[] {
    return [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY].flatMap((objectClass) =>
      this.find(session, [
        { type: pkcs11js.CKA_CLASS, value: objectClass },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
      ]),
    );
  }

  private find(session: Handle, template: pkcs11js.Template): Handle[] {
    this.pkcs11.C_FindObjectsInit(session, template);
    try {
      const found: Handle[] = [];
      for (;;) {
        const batch = this.pkcs11.C_FindObjects(session, 64);
        if (batch.length === 0) return found;
        found.push(...batch);
      }
    } finally {
      this.pkcs11.C_FindObjectsFinal(session);
    }
  }

  private attribute(session: Handle, object: Handle, type: number): Buffer {
    const [result] = this.pkcs11.C_GetAttributeValue(session, object, [{ type }]);
    if (!result) throw new Error(`the token returned no attribute ${type}`);
    return result.value;
  }

  private algorithmOf(session: Handle, privateKey: Handle, label: string): SignatureAlgorithm {
    const keyType = readUlong(this.attribute(session, privateKey, pkcs11js.CKA_KEY_TYPE));
    if (keyType === pkcs11js.CKK_RSA) return 'rsa-sha256';
    if (keyType === pkcs11js.CKK_EC) {
      const params = this.attribute(session, privateKey, pkcs11js.CKA_EC_PARAMS);
      if (params.equals(P256_EC_PARAMS)) return 'ecdsa-p256-sha256';
    }
    throw new SignetError(
      'KEY_UNSUPPORTED',
      `key "${label}" on token "${this.tokenLabel}" is neither RSA nor ECDSA P-256`,
    );
  }

  /** The SPKI from the public key object with the same CKA_ID, or from the RSA private key's public attributes. */
  private publicKeyOf(
    session: Handle,
    privateKey: Handle,
    algorithm: SignatureAlgorithm,
    label: string,
  ): Uint8Array {
    const id = this.attribute(session, privateKey, pkcs11js.CKA_ID);
    const [publicKey] = this.find(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_ID, value: id },
    ]);
    if (publicKey) return this.subjectPublicKeyInfo(session, publicKey, algorithm);
    // An RSA private key object carries its modulus and public exponent (PKCS#11 §2.1.3).
    if (algorithm === 'rsa-sha256') return this.subjectPublicKeyInfo(session, privateKey, algorithm);
    throw new SignetError(
      'KEY_PUBLIC_HALF_MISSING',
      `token "${this.tokenLabel}" has no public key with the CKA_ID of "${label}"`,
    );
  }

  private subjectPublicKeyInfo(session: Handle, object: Handle, algorithm: SignatureAlgorithm): Uint8Array {
    if (algorithm === 'rsa-sha256') {
      return spkiFromJwk({
        kty: 'RSA',
        n: this.attribute(session, object, pkcs11js.CKA_MODULUS).toString('base64url'),
        e: this.attribute(session, object, pkcs11js.CKA_PUBLIC_EXPONENT).toString('base64url'),
      });
    }
    const point = ecPointFromAttribute(this.attribute(session, object, pkcs11js.CKA_EC_POINT));
    return spkiFromJwk({
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Encodings (pure)

/**
 * Raw r‖s (PKCS#11 CKM_ECDSA, IEEE P1363) to DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER,
 * s INTEGER }` (RFC 5753 §2.1.1; X.690 §8.3: minimal two's complement, so leading zero octets
 * are dropped and one is added back when the high bit is set).
 */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new Error(`an ECDSA signature r‖s has an even, non-zero length, not ${raw.length}`);
  }
  const half = raw.length / 2;
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]));
}

function derInteger(unsigned: Uint8Array): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const magnitude = Buffer.from(unsigned.subarray(start));
  const value = (magnitude[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude;
  return Buffer.concat([Buffer.from([0x02]), derLength(value.length), value]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

/**
 * CKA_EC_POINT is the DER OCTET STRING holding the uncompressed point 04‖X‖Y (PKCS#11 v2.40
 * §2.3.3); a few older modules return the bare point, which is accepted too.
 */
export function ecPointFromAttribute(value: Uint8Array): Buffer {
  const bytes = Buffer.from(value);
  const wrapped = bytes.length === 67 && bytes[0] === 0x04 && bytes[1] === 65;
  const point = wrapped ? bytes.subarray(2) : bytes;
  if (point.length !== 65 || point[0] !== 0x04) {
    throw new Error('CKA_EC_POINT is not an uncompressed P-256 point');
  }
  return point;
}

function spkiFromJwk(
  jwk: { kty: 'RSA'; n: string; e: string } | { kty: 'EC'; crv: string; x: string; y: string },
) {
  return new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
}

/** A CK_ULONG attribute in native byte order (little-endian on every platform we run on). */
function readUlong(value: Buffer): number {
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0);
}

function assertUsableLabel(label: string): void {
  if (label.trim() === '' || Buffer.byteLength(label) > 128 || label === EPHEMERAL_LABEL) {
    throw new SignetError('KEY_LABEL_INVALID', 'a key label is 1 to 128 bytes and not reserved');
  }
}

// ---------------------------------------------------------------------------------------------
// Module, token and login

/**
 * A PKCS#11 module may be initialised once per process (C_Initialize returns
 * CKR_CRYPTOKI_ALREADY_INITIALIZED otherwise), and C_Finalize ends every session of the process.
 * Stores on the same module therefore share one loaded library, finalised by the last to close.
 */
interface LoadedLibrary {
  readonly path: string;
  readonly pkcs11: pkcs11js.PKCS11;
  users: number;
  /** False when something else in the process had already initialised the module. */
  readonly ownsInitialisation: boolean;
}

const libraries = new Map<string, LoadedLibrary>();

function acquireLibrary(path: string): LoadedLibrary {
  const loaded = libraries.get(path);
  if (loaded) {
    loaded.users++;
    return loaded;
  }
  const pkcs11 = new pkcs11js.PKCS11();
  try {
    pkcs11.load(path);
  } catch (error) {
    throw new SignetError(
      'PKCS11_MODULE_UNAVAILABLE',
      `cannot load the PKCS#11 module ${path}: ${errorName(error)}`,
    );
  }
  let ownsInitialisation = true;
  try {
    pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (pkcs11Code(error) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      pkcs11.close();
      throw new SignetError(
        'PKCS11_MODULE_UNAVAILABLE',
        `the PKCS#11 module ${path} failed to initialise: ${errorName(error)}`,
      );
    }
    ownsInitialisation = false;
  }
  const library: LoadedLibrary = { path, pkcs11, users: 1, ownsInitialisation };
  libraries.set(path, library);
  return library;
}

function releaseLibrary(library: LoadedLibrary): void {
  library.users--;
  if (library.users > 0) return;
  libraries.delete(library.path);
  if (library.ownsInitialisation) library.pkcs11.C_Finalize();
  library.pkcs11.close();
}

function findTokenSlot(pkcs11: pkcs11js.PKCS11, config: Pkcs11Config): Handle {
  const tokens = pkcs11.C_GetSlotList(true).map((slot) => ({
    slot,
    info: pkcs11.C_GetTokenInfo(slot),
  }));
  // Token labels are 32 bytes padded with blanks (PKCS#11 §3.2, CK_TOKEN_INFO).
  const matching = tokens.filter(({ info }) => info.label.trimEnd() === config.tokenLabel);
  const [match, ...others] = matching;
  if (!match) {
    const present = tokens.map(({ info }) => `"${info.label.trimEnd()}"`).join(', ') || 'none';
    throw new SignetError(
      'PKCS11_TOKEN_NOT_FOUND',
      `no PKCS#11 token labelled "${config.tokenLabel}" in ${config.module} (tokens present: ${present})`,
    );
  }
  if (others.length > 0) {
    throw new SignetError(
      'PKCS11_TOKEN_AMBIGUOUS',
      `${matching.length} PKCS#11 tokens are labelled "${config.tokenLabel}" in ${config.module}`,
    );
  }
  return match.slot;
}

/** C_Login as the normal user. The PIN appears in no error: only the CKR_ name is reported. */
function logIn(pkcs11: pkcs11js.PKCS11, session: Handle, config: Pkcs11Config): void {
  try {
    pkcs11.C_Login(session, pkcs11js.CKU_USER, config.pin);
  } catch (error) {
    const code = pkcs11Code(error);
    if (code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) return; // another store in this process
    const reason =
      code === pkcs11js.CKR_PIN_INCORRECT || code === pkcs11js.CKR_PIN_LEN_RANGE
        ? 'the PIN was refused'
        : code === pkcs11js.CKR_PIN_LOCKED
          ? 'the user PIN is locked; the security officer must reset it'
          : 'login failed';
    throw new SignetError(
      'PKCS11_LOGIN_FAILED',
      `cannot log in to PKCS#11 token "${config.tokenLabel}": ${reason} (${errorName(error)})`,
    );
  }
}

function pkcs11Code(error: unknown): number | undefined {
  return error instanceof pkcs11js.Pkcs11Error ? error.code : undefined;
}

/** The CKR_ name (or native message) of an error from pkcs11js, which never contains arguments. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function ignoreCodes(action: () => void, codes: number[]): void {
  try {
    action();
  } catch (error) {
    const code = pkcs11Code(error);
    if (code === undefined || !codes.includes(code)) throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions

/** At most `size` sessions, each lent to one operation at a time; opened lazily, kept until drained. */
class SessionPool {
  private readonly idle: Handle[] = [];
  private readonly waiting: ((session: Handle) => void)[] = [];
  private opened = 0;
  private draining: Promise<Handle[]> | undefined;
  private readonly open: () => Handle;
  private readonly size: number;

  constructor(open: () => Handle, size: number) {
    this.open = open;
    this.size = size;
  }

  async use<T>(work: (session: Handle) => T | Promise<T>): Promise<T> {
    const session = await this.acquire();
    try {
      return await work(session);
    } finally {
      this.release(session);
    }
  }

  /** Refuses new work, waits for running work, and hands back every session for closing. */
  drain(): Promise<Handle[]> {
    this.draining ??= (async () => {
      const sessions: Handle[] = [];
      while (sessions.length < this.opened) sessions.push(await this.takeOpened());
      return sessions;
    })();
    return this.draining;
  }

  private acquire(): Promise<Handle> {
    if (this.draining) {
      return Promise.reject(new SignetError('KEYSTORE_CLOSED', 'the PKCS#11 key store is closed'));
    }
    return this.take();
  }

  private take(): Promise<Handle> {
    if (this.idle.length === 0 && this.opened < this.size) {
      const opened = this.open();
      this.opened++;
      return Promise.resolve(opened);
    }
    return this.takeOpened();
  }

  /** An idle session, or the next one released. */
  private takeOpened(): Promise<Handle> {
    const session = this.idle.pop();
    if (session) return Promise.resolve(session);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(session: Handle): void {
    const next = this.waiting.shift();
    if (next) next(session);
    else this.idle.push(session);
  }
}
