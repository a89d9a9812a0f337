import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pkcs11js from 'pkcs11js';
import { openPkcs11KeyStore } from '../src/pki/pkcs11KeyStore.ts';
import type { SignatureAlgorithm } from '../src/pki/signer.ts';
import { createSoftHsmToken, softHsmMissing } from '../test/peers/softHsm.ts';
import { describeMachine } from './machine.ts';
import { formatRate, formatTimes, type Row, renderMarkdownTable } from './table.ts';

/*
 * Signatures per second from keys in a SoftHSM2 token through Pkcs11KeyStore, next to Node's
 * `crypto.sign` with a key of the same kind in the same run. Three ways through the token:
 * one sign at a time (latency-bound), many in flight (what a busy sealing queue sees; the store
 * lends each its own session and pkcs11js runs C_Sign on a libuv worker), and plain synchronous
 * pkcs11js C_Sign on one session, the path the store avoids because it blocks the event loop.
 *
 * `node --import tsx bench/hsm.ts` prints the table on its own.
 */

export interface HsmSigningRates {
  algorithm: SignatureAlgorithm;
  /** `crypto.sign('sha256', …)` on the event loop, one core. */
  nodeCryptoSign: number;
  /** `SigningKey.sign` from Pkcs11KeyStore, awaited one at a time. */
  keyStoreSequential: number;
  /** `SigningKey.sign` from Pkcs11KeyStore with `inFlight` calls outstanding. */
  keyStoreConcurrent: number;
  /** Synchronous pkcs11js C_SignInit + C_Sign on one session (hash in Node for ECDSA, as the store does). */
  pkcs11Synchronous: number;
}

export interface HsmBenchPlan {
  /** How long each rate is measured for. */
  durationMs: number;
  /** Outstanding signs in the concurrent case. */
  inFlight: number;
  /** Sessions the store keeps (its default is 4, the libuv worker count). */
  sessions?: number;
}

/** Roughly the size of the DER signed attributes a PAdES seal signs (RFC 5652 §5.4). */
const SIGNED_ATTRIBUTES_BYTES = 256;
const WARMUP = 20;

/** Measures with a fresh SoftHSM2 token; undefined (with the reason on stderr) when SoftHSM2 is missing. */
export async function measureHsmSigning(plan: HsmBenchPlan): Promise<HsmSigningRates[] | undefined> {
  const missing = softHsmMissing();
  if (missing) {
    process.stderr.write(`bench: HSM signing skipped: ${missing}\n`);
    return undefined;
  }
  const token = await createSoftHsmToken('signet-bench');
  const store = await openPkcs11KeyStore(token.config, { sessions: plan.sessions });
  try {
    const data = randomBytes(SIGNED_ATTRIBUTES_BYTES);
    const rates: HsmSigningRates[] = [];
    for (const algorithm of ['rsa-sha256', 'ecdsa-p256-sha256'] as const) {
      const stored = await store.generate(`bench-${algorithm}`, algorithm);
      const nodeKey = nodeKeyFor(algorithm);
      rates.push({
        algorithm,
        nodeCryptoSign: await rate(plan.durationMs, 1, async () => sign('sha256', data, nodeKey)),
        keyStoreSequential: await rate(plan.durationMs, 1, () => stored.key.sign(data)),
        keyStoreConcurrent: await rate(plan.durationMs, plan.inFlight, () => stored.key.sign(data)),
        pkcs11Synchronous: synchronousRate(
          token.config,
          `bench-${algorithm}`,
          algorithm,
          data,
          plan.durationMs,
        ),
      });
    }
    return rates;
  } finally {
    await store.close();
    await token.cleanup();
  }
}

export function hsmRows(rates: readonly HsmSigningRates[], plan: HsmBenchPlan): Row[] {
  return rates.flatMap((r) => {
    const name = r.algorithm === 'rsa-sha256' ? 'RSA-2048' : 'ECDSA P-256';
    const peer = `${formatRate(r.nodeCryptoSign, 'signs')} (crypto.sign)`;
    const row = (measure: string, value: number): Row => ({
      measure,
      value: formatRate(value, 'signs'),
      peer,
      ratio: formatTimes(value / r.nodeCryptoSign),
    });
    return [
      row(`${name} SoftHSM2 via Pkcs11KeyStore, 1 at a time`, r.keyStoreSequential),
      row(`${name} SoftHSM2 via Pkcs11KeyStore, ${plan.inFlight} in flight`, r.keyStoreConcurrent),
      row(`↳ ${name} SoftHSM2 synchronous C_Sign, 1 session`, r.pkcs11Synchronous),
    ];
  });
}

function nodeKeyFor(algorithm: SignatureAlgorithm): KeyObject {
  return algorithm === 'rsa-sha256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

/** Completed operations per second, keeping `inFlight` operations outstanding for `durationMs`. */
async function rate(
  durationMs: number,
  inFlight: number,
  operation: () => Promise<unknown>,
): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await operation();
  let completed = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      await operation();
      completed++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (completed * 1000) / (performance.now() - started);
}

/**
 * The blocking path, through a second pkcs11js handle on the already initialised module
 * (handles and login belong to the process, PKCS#11 §6.7). Same work per signature as the store.
 */
function synchronousRate(
  config: { module: string; tokenLabel: string },
  label: string,
  algorithm: SignatureAlgorithm,
  data: Buffer,
  durationMs: number,
): number {
  const pkcs11 = new pkcs11js.PKCS11();
  pkcs11.load(config.module);
  const slot = pkcs11
    .C_GetSlotList(true)
    .find((candidate) => pkcs11.C_GetTokenInfo(candidate).label.trimEnd() === config.tokenLabel);
  if (!slot) throw new Error(`token ${config.tokenLabel} vanished`);
  const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
  try {
    pkcs11.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    const key = pkcs11.C_FindObjects(session);
    pkcs11.C_FindObjectsFinal(session);
    if (!key) throw new Error(`key ${label} not found`);
    const rsa = algorithm === 'rsa-sha256';
    const mechanism = { mechanism: rsa ? pkcs11js.CKM_SHA256_RSA_PKCS : pkcs11js.CKM_ECDSA };
    const signOnce = () => {
      const input = rsa ? data : createHash('sha256').update(data).digest();
      pkcs11.C_SignInit(session, mechanism, key);
      return pkcs11.C_Sign(session, input, Buffer.alloc(512));
    };
    for (let i = 0; i < WARMUP; i++) signOnce();
    let completed = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < durationMs) {
      signOnce();
      completed++;
      elapsed = performance.now() - started;
    }
    return (completed * 1000) / elapsed;
  } finally {
    pkcs11.C_CloseSession(session);
    pkcs11.close(); // the store owns C_Finalize
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const plan: HsmBenchPlan = { durationMs: 2000, inFlight: 16 };
  const rates = await measureHsmSigning(plan);
  if (rates) process.stdout.write(`${renderMarkdownTable(hsmRows(rates, plan), describeMachine())}\n`);
}
