import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/*
 * What the hardware allows, measured in the same process and run as the things compared with
 * them, so a ratio never mixes two machines or two moments of thermal/CPU-steal state.
 */

export interface Ceilings {
  /** `crypto.sign('sha256', …)` with an RSA-2048 key on one core. */
  rsa2048SignsPerSecond: number;
  /** `crypto.sign('sha256', …)` with an ECDSA P-256 key on one core (DER signatures). */
  ecdsaP256SignsPerSecond: number;
  /** SHA-256 over a large buffer, fastest of several passes, in 10^6 bytes per second. */
  sha256MegabytesPerSecond: number;
}

/** Roughly the size of the DER signed attributes a PAdES seal signs (RFC 5652 §5.4). */
const SIGNED_ATTRIBUTES_BYTES = 256;
const SHA256_BUFFER_BYTES = 64 * 1024 * 1024;
const SHA256_PASSES = 4;

export function measureCeilings(durationMs = 1500): Ceilings {
  // The sealing key in the dev PKI is RSA-2048; per-signer keys may be either.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ecdsa = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return {
    rsa2048SignsPerSecond: measureSigns(rsa, durationMs),
    ecdsaP256SignsPerSecond: measureSigns(ecdsa, durationMs / 2),
    sha256MegabytesPerSecond: measureSha256Throughput(),
  };
}

/** Signs for at least `durationMs` and counts. */
function measureSigns(privateKey: KeyObject, durationMs: number): number {
  const data = randomBytes(SIGNED_ATTRIBUTES_BYTES);
  for (let i = 0; i < 20; i++) sign('sha256', data, privateKey);
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    sign('sha256', data, privateKey);
    count++;
    elapsed = performance.now() - started;
  }
  return (count * 1000) / elapsed;
}

/** Best pass rather than the median: a ceiling is what the core can do when nothing interferes. */
function measureSha256Throughput(): number {
  const buffer = Buffer.alloc(SHA256_BUFFER_BYTES, 0xa5);
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < SHA256_PASSES; pass++) {
    const started = performance.now();
    createHash('sha256').update(buffer).digest();
    best = Math.min(best, performance.now() - started);
  }
  return SHA256_BUFFER_BYTES / 1e6 / (best / 1000);
}
