import { createPrivateKey, type KeyObject, timingSafeEqual, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import { SignetError } from '../errors.ts';
import { type SealingIdentity, sealingIdentityFromKeyObject } from './signer.ts';

/*
 * Reads a sealing key and its certificates from a PKCS#12 file (RFC 7292).
 *
 * The container is walked here with asn1js and only the password-based cryptography is
 * delegated to node-forge. forge's own `pkcs12FromAsn1` would do everything, but it rebuilds
 * the certificates it understands from their parsed fields instead of returning the bytes the
 * CA signed (the signing-certificate-v2 hash is over those bytes), and it leaves EC keys as
 * raw ASN.1.
 */

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
} as const;

const MAC_DIGESTS: Record<string, { name: 'sha1' | 'sha256' | 'sha384' | 'sha512'; keyLength: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', keyLength: 20 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', keyLength: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', keyLength: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', keyLength: 64 },
};

/** Bounds the password-hashing work a hostile file can demand (OpenSSL writes 2048; 600 000 is generous). */
const MAX_ITERATIONS = 1_000_000;

/** The slice of node-forge's PBE API we use; @types/node-forge does not declare it. */
interface ForgePbe {
  getCipherForPBES2(oid: string, params: forge.asn1.Asn1, password: string): ForgeDecipher;
  getCipherForPKCS12PBE(oid: string, params: forge.asn1.Asn1, password: string): ForgeDecipher;
}
interface ForgeDecipher {
  update(data: forge.util.ByteBuffer): void;
  finish(): boolean;
  output: forge.util.ByteBuffer;
}

interface Pkcs12Contents {
  privateKeys: KeyObject[];
  certificates: Uint8Array[];
}

/** Thrown for anything that keeps us from reading the file, a wrong password included. */
class Pkcs12Invalid extends SignetError {
  constructor(detail: string) {
    super('PKCS12_INVALID', detail);
  }
}

export function loadSealingIdentityFromPkcs12(bytes: Uint8Array, password: string): SealingIdentity {
  const contents = readPkcs12(bytes, password);
  const privateKey = singlePrivateKey(contents);
  const certificate = certificateForKey(privateKey, contents.certificates);
  const chain = issuerChain(certificate, contents.certificates);
  return sealingIdentityFromKeyObject(
    privateKey,
    new Uint8Array(certificate.raw),
    chain.map((c) => new Uint8Array(c.raw)),
  );
}

function readPkcs12(bytes: Uint8Array, password: string): Pkcs12Contents {
  try {
    return readPfx(bytes, password);
  } catch (error) {
    if (error instanceof SignetError) throw error;
    throw new Pkcs12Invalid(`not a readable PKCS#12 file: ${(error as Error).message}`);
  }
}

/** RFC 7292 §4: PFX ::= SEQUENCE { version, authSafe ContentInfo, macData MacData OPTIONAL } */
function readPfx(bytes: Uint8Array, password: string): Pkcs12Contents {
  const [version, authSafe, macData] = sequenceItems(parseDer(bytes), 'PFX');
  if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== 3) {
    throw new Pkcs12Invalid('unsupported PFX version (expected 3)');
  }
  const authenticatedSafe = dataContent(authSafe, 'authSafe');
  if (!macData) {
    // Without a MAC nothing tells a wrong password from a right one, and the file could have been altered.
    throw new Pkcs12Invalid('PKCS#12 files without password integrity (MacData) are not accepted');
  }
  verifyMac(macData, authenticatedSafe, password);

  const contents: Pkcs12Contents = { privateKeys: [], certificates: [] };
  for (const contentInfo of sequenceItems(parseDer(authenticatedSafe), 'AuthenticatedSafe')) {
    collectSafeBags(safeContentsOf(contentInfo, password), password, contents);
  }
  return contents;
}

/**
 * RFC 7292 §5.1 and Appendix B: HMAC over the AuthenticatedSafe with a key from the PKCS#12
 * KDF (ID 3). A mismatch almost always means a wrong password.
 */
function verifyMac(macData: asn1js.AsnType, authenticatedSafe: Uint8Array, password: string): void {
  const [digestInfo, macSalt, iterationsField] = sequenceItems(macData, 'MacData');
  const [digestAlgorithm, expectedMac] = sequenceItems(digestInfo, 'DigestInfo');
  const digest = MAC_DIGESTS[algorithmOid(digestAlgorithm)];
  if (!digest) throw new Pkcs12Invalid(`unsupported MAC digest ${algorithmOid(digestAlgorithm)}`);
  const iterations = iterationsField ? integerValue(iterationsField) : 1;
  assertIterations(iterations);

  const md = forge.md[digest.name].create();
  const salt = forge.util.createBuffer(binaryString(octets(macSalt)));
  const macKey = forge.pkcs12.generateKey(password, salt, 3, iterations, digest.keyLength, md);
  const hmac = forge.hmac.create();
  hmac.start(md, macKey);
  hmac.update(binaryString(authenticatedSafe));
  const actual = bytesOf(hmac.digest().getBytes());
  const expected = octets(expectedMac);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new Pkcs12Invalid('wrong password, or the PKCS#12 file is damaged (MAC mismatch)');
  }
}

/** RFC 7292 §4.1: each ContentInfo is plain Data or password-EncryptedData holding SafeContents. */
function safeContentsOf(contentInfo: asn1js.AsnType, password: string): Uint8Array {
  const contentType = contentTypeOf(contentInfo);
  if (contentType === OID.data) return dataContent(contentInfo, 'SafeContents');
  if (contentType !== OID.encryptedData) {
    throw new Pkcs12Invalid(
      `unsupported AuthenticatedSafe content ${contentType} (public-key privacy mode?)`,
    );
  }
  // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo ::= SEQUENCE { contentType,
  //   contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OCTET STRING } } (RFC 5652 §8)
  const [, encryptedContentInfo] = sequenceItems(explicitContent(contentInfo), 'EncryptedData');
  const [, algorithm, encryptedContent] = sequenceItems(encryptedContentInfo, 'EncryptedContentInfo');
  if (!algorithm || !encryptedContent) throw new Pkcs12Invalid('EncryptedContentInfo without content');
  return decrypt(algorithm, implicitOctets(encryptedContent), password);
}

/** RFC 7292 §4.2: SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes OPTIONAL } */
function collectSafeBags(safeContents: Uint8Array, password: string, into: Pkcs12Contents): void {
  for (const safeBag of sequenceItems(parseDer(safeContents), 'SafeContents')) {
    const bagId = contentTypeOf(safeBag);
    const bagValue = explicitContent(safeBag);
    if (bagId === OID.keyBag) into.privateKeys.push(privateKeyFromPkcs8(bagValue.toBER()));
    if (bagId === OID.pkcs8ShroudedKeyBag) into.privateKeys.push(decryptShroudedKey(bagValue, password));
    if (bagId === OID.certBag) {
      const certificate = x509CertificateFromBag(bagValue);
      if (certificate) into.certificates.push(certificate);
    }
    // CRL, secret and nested SafeContents bags carry nothing a sealing identity needs.
  }
}

/** RFC 5958 §3: EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING } */
function decryptShroudedKey(encryptedPrivateKeyInfo: asn1js.AsnType, password: string): KeyObject {
  const [algorithm, encryptedData] = sequenceItems(encryptedPrivateKeyInfo, 'EncryptedPrivateKeyInfo');
  if (!algorithm || !encryptedData) throw new Pkcs12Invalid('malformed EncryptedPrivateKeyInfo');
  return privateKeyFromPkcs8(decrypt(algorithm, octets(encryptedData), password));
}

/** CertBag ::= SEQUENCE { certId, certValue [0] EXPLICIT OCTET STRING }; the octets are the certificate DER as issued. */
function x509CertificateFromBag(certBag: asn1js.AsnType): Uint8Array | undefined {
  if (contentTypeOf(certBag) !== OID.x509Certificate) return undefined; // SDSI certificates
  return octets(explicitContent(certBag));
}

/**
 * PBES2 (RFC 8018 §6.2) or the legacy PKCS#12 PBEs (RFC 7292 Appendix C), decrypted by forge.
 * PBES2 hashes the password as UTF-8 (as OpenSSL does); the PKCS#12 KDF takes it as BMPString,
 * which forge derives from the JavaScript string itself.
 */
function decrypt(algorithm: asn1js.AsnType, ciphertext: Uint8Array, password: string): Uint8Array {
  const [oidField, params] = sequenceItems(algorithm, 'AlgorithmIdentifier');
  if (!(oidField instanceof asn1js.ObjectIdentifier) || !params) {
    throw new Pkcs12Invalid('malformed encryption AlgorithmIdentifier');
  }
  const oid = oidField.valueBlock.toString();
  assertIterations(pbeIterations(oid, params));
  const pbe = (forge.pki as unknown as { pbe: ForgePbe }).pbe;
  const forgeParams = forge.asn1.fromDer(binaryString(new Uint8Array(params.toBER())));
  const cipher =
    oid === OID.pbes2
      ? pbe.getCipherForPBES2(oid, forgeParams, forge.util.encodeUtf8(password))
      : pbe.getCipherForPKCS12PBE(oid, forgeParams, password);
  cipher.update(forge.util.createBuffer(binaryString(ciphertext)));
  if (!cipher.finish()) throw new Pkcs12Invalid('decryption failed (wrong password?)');
  return bytesOf(cipher.output.getBytes());
}

/** Reads the iteration count before deriving anything, so a hostile file cannot make us spin. */
function pbeIterations(oid: string, params: asn1js.AsnType): number {
  if (oid !== OID.pbes2) {
    // pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
    const [, iterations] = sequenceItems(params, 'pkcs-12PbeParams');
    return iterations ? integerValue(iterations) : 0;
  }
  // PBES2-params ::= SEQUENCE { keyDerivationFunc { id-PBKDF2, PBKDF2-params ::= SEQUENCE { salt, iterationCount, … } }, … }
  const [keyDerivationFunc] = sequenceItems(params, 'PBES2-params');
  const [, pbkdf2Params] = keyDerivationFunc ? sequenceItems(keyDerivationFunc, 'keyDerivationFunc') : [];
  const [, iterationCount] = pbkdf2Params ? sequenceItems(pbkdf2Params, 'PBKDF2-params') : [];
  return iterationCount ? integerValue(iterationCount) : 0;
}

function assertIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new Pkcs12Invalid(`unacceptable iteration count ${iterations}`);
  }
}

function privateKeyFromPkcs8(der: ArrayBuffer | Uint8Array): KeyObject {
  try {
    return createPrivateKey({
      key: Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)),
      format: 'der',
      type: 'pkcs8',
    });
  } catch {
    throw new Pkcs12Invalid('the private key is not a readable PKCS#8 PrivateKeyInfo (wrong password?)');
  }
}

function singlePrivateKey({ privateKeys }: Pkcs12Contents): KeyObject {
  const [first, ...others] = privateKeys;
  if (!first) throw new Pkcs12Invalid('the PKCS#12 file holds no private key');
  // With two keys we would have to guess which one seals; better to make the operator choose.
  if (others.length > 0)
    throw new Pkcs12Invalid(`the PKCS#12 file holds ${privateKeys.length} private keys; expected one`);
  return first;
}

function certificateForKey(privateKey: KeyObject, certificates: Uint8Array[]): X509Certificate {
  const match = certificates
    .map((der) => new X509Certificate(der))
    .find((c) => c.checkPrivateKey(privateKey));
  if (!match) throw new Pkcs12Invalid('the PKCS#12 file holds no certificate for its private key');
  return match;
}

/** Orders the issuers from the nearest up to a self-signed root, as far as the file provides them. */
function issuerChain(leaf: X509Certificate, certificates: Uint8Array[]): X509Certificate[] {
  const candidates = certificates.map((der) => new X509Certificate(der));
  const chain: X509Certificate[] = [];
  let current = leaf;
  while (!isSelfIssued(current) && chain.length < candidates.length) {
    const child = current;
    const issuer = candidates.find((c) => child.checkIssued(c) && child.verify(c.publicKey));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

function isSelfIssued(certificate: X509Certificate): boolean {
  return certificate.checkIssued(certificate);
}

// --- small ASN.1 readers; each throws (and is reported as PKCS12_INVALID) on a shape we do not expect

function parseDer(bytes: Uint8Array): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1) throw new Pkcs12Invalid(`malformed ASN.1: ${parsed.result.error}`);
  return parsed.result;
}

function sequenceItems(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Sequence)) throw new Pkcs12Invalid(`${what} is not a SEQUENCE`);
  return node.valueBlock.value;
}

/** ContentInfo / SafeBag / CertBag all start with an OBJECT IDENTIFIER. */
function contentTypeOf(node: asn1js.AsnType): string {
  const [oid] = sequenceItems(node, 'ContentInfo');
  if (!(oid instanceof asn1js.ObjectIdentifier)) throw new Pkcs12Invalid('expected an OBJECT IDENTIFIER');
  return oid.valueBlock.toString();
}

function algorithmOid(algorithmIdentifier: asn1js.AsnType | undefined): string {
  return contentTypeOf(algorithmIdentifier as asn1js.AsnType);
}

/** The value inside `[0] EXPLICIT`, second member of a ContentInfo-shaped SEQUENCE. */
function explicitContent(node: asn1js.AsnType): asn1js.AsnType {
  const [, tagged] = sequenceItems(node, 'ContentInfo');
  if (
    !(tagged instanceof asn1js.Constructed) ||
    tagged.idBlock.tagClass !== 3 ||
    tagged.idBlock.tagNumber !== 0
  ) {
    throw new Pkcs12Invalid('expected a [0] EXPLICIT value');
  }
  const [inner] = tagged.valueBlock.value;
  if (!inner) throw new Pkcs12Invalid('empty [0] EXPLICIT value');
  return inner;
}

/** ContentInfo of type Data: the OCTET STRING under `[0]`. */
function dataContent(contentInfo: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (!contentInfo || contentTypeOf(contentInfo) !== OID.data) throw new Pkcs12Invalid(`${what} is not Data`);
  return octets(explicitContent(contentInfo));
}

/** OCTET STRING contents, primitive or (as Windows writes them) BER-constructed. */
function octets(node: asn1js.AsnType | undefined): Uint8Array {
  if (!(node instanceof asn1js.OctetString)) throw new Pkcs12Invalid('expected an OCTET STRING');
  return new Uint8Array(node.getValue());
}

/** `[0] IMPLICIT OCTET STRING`: asn1js sees a context-tagged primitive, or a constructed one of chunks. */
function implicitOctets(node: asn1js.AsnType): Uint8Array {
  if (node instanceof asn1js.Constructed) {
    return concatBytes(node.valueBlock.value.map((chunk) => octets(chunk)));
  }
  if (node instanceof asn1js.Primitive) return new Uint8Array(node.valueBlock.valueHexView);
  throw new Pkcs12Invalid('malformed encryptedContent');
}

function integerValue(node: asn1js.AsnType): number {
  if (!(node instanceof asn1js.Integer)) throw new Pkcs12Invalid('expected an INTEGER');
  return Number(node.toBigInt());
}

function concatBytes(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

/** forge works on "binary strings" (one char per byte). */
function binaryString(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

function bytesOf(binary: string): Uint8Array {
  return new Uint8Array(Buffer.from(binary, 'latin1'));
}
