import { performance } from 'node:perf_hooks';
import { sha256Hex } from '../src/blobs/blobStore.ts';
import {
  type CertificateOfCompletion,
  renderCertificateOfCompletion,
} from '../src/evidence/certificatePdf.ts';
import { composeCompletedPdf, type StampField } from '../src/pdf/compose.ts';
import { signPades } from '../src/pdf/pades.ts';
import type { SealingIdentity } from '../src/pki/signer.ts';
import { lapTimer, type RunPlan, type Sample, summarizeEach } from './stats.ts';

/*
 * The per-document work of the `envelope.seal` job (src/envelopes/sealing.ts, buildSealedPdf)
 * without the database and blob store: stamp the field values, render the certificate of
 * completion, append it, seal (signPades at B-B). The steps and their order are the job's; only
 * the inputs are made up, to look like one signer who typed a signature.
 */

export interface PipelineStages {
  total: Sample;
  stamp: Sample;
  certificate: Sample;
  append: Sample;
  seal: Sample;
}

export interface PipelineMeasurement {
  pages: number;
  sealedBytes: number;
  stages: PipelineStages;
}

type StageName = keyof PipelineStages;

export async function measureCompletionPipeline(
  pdf: Uint8Array,
  pages: number,
  identity: SealingIdentity,
  plan: RunPlan,
): Promise<PipelineMeasurement> {
  const timings: Record<StageName, number[]> = {
    total: [],
    stamp: [],
    certificate: [],
    append: [],
    seal: [],
  };
  let sealedBytes = 0;
  for (let run = 0; run < plan.warmup + plan.runs; run++) {
    const one = await completeInStages(pdf, pages, identity);
    sealedBytes = one.sealedBytes;
    if (run < plan.warmup) continue;
    for (const name of Object.keys(timings) as StageName[]) timings[name].push(one.timings[name]);
  }
  return {
    pages,
    sealedBytes,
    stages: summarizeEach(timings),
  };
}

async function completeInStages(pdf: Uint8Array, pages: number, identity: SealingIdentity) {
  const started = performance.now();
  const lap = lapTimer();
  const stamped = await composeCompletedPdf({
    documents: [{ name: 'agreement.pdf', bytes: pdf }],
    fields: signerFields(pages),
  });
  const stamp = lap();
  const certificate = await renderCertificateOfCompletion(
    completionFacts(pages, sha256Hex(pdf), sha256Hex(stamped)),
  );
  const certificateMs = lap();
  const combined = await composeCompletedPdf({
    documents: [{ name: 'completed.pdf', bytes: stamped }],
    fields: [],
    appendix: certificate,
  });
  const append = lap();
  // The platform seal as the job makes it under a B-B policy without per-signer signatures.
  const sealed = await signPades(
    combined,
    [
      {
        identity,
        fieldName: 'Signet seal',
        signingTime: new Date(),
        name: 'Signet',
        reason: 'Sealed on completion of envelope bench',
        location: 'bench.localhost',
      },
    ],
    'B-B',
    {},
  );
  const seal = lap();
  return {
    sealedBytes: sealed.byteLength,
    timings: { total: performance.now() - started, stamp, certificate: certificateMs, append, seal },
  };
}

/** A typed signature, the signer's name and the signing date on the last page, as a form would place them. */
function signerFields(pages: number): StampField[] {
  const onLastPage = { documentIndex: 0, page: pages };
  return [
    {
      ...onLastPage,
      x: 50,
      y: 720,
      width: 180,
      height: 40,
      value: { kind: 'typedSignature', text: 'Sam Signer' },
    },
    { ...onLastPage, x: 250, y: 730, width: 150, height: 18, value: { kind: 'text', text: 'Sam Signer' } },
    { ...onLastPage, x: 420, y: 730, width: 110, height: 18, value: { kind: 'text', text: '2025-01-15' } },
  ];
}

/** What completionRecord gathers for a one-signer envelope sent through the API. */
function completionFacts(
  pages: number,
  originalSha256: string,
  stampedSha256: string,
): CertificateOfCompletion {
  const at = (minute: number) => new Date(Date.UTC(2025, 0, 15, 9, minute)).toISOString();
  return {
    envelopeId: '6f1c9e7a-3b2d-4c5e-9f8a-1b2c3d4e5f60',
    title: 'Master services agreement',
    organizationName: 'Acme Ltd',
    status: 'completed',
    documents: [{ name: 'agreement.pdf', pages, sha256: originalSha256 }],
    resultSha256: [{ kind: 'completedBeforeCertificate', sha256: stampedSha256 }],
    recipients: [
      {
        name: 'Sam Signer',
        email: 'sam@client.test',
        role: 'signer',
        routingOrder: 1,
        status: 'completed',
        identityMethods: ['Email link (possession of the invitation mailbox)'],
        ip: '203.0.113.7',
        userAgent:
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
        viewedAt: at(3),
        consentedAt: at(4),
        signedAt: at(6),
        signatureText: 'Sam Signer',
      },
    ],
    events: [
      {
        at: at(0),
        text: 'API key “bench” created the envelope “Master services agreement”',
        ip: '198.51.100.4',
      },
      { at: at(0), text: 'API key “bench” sent the envelope', ip: '198.51.100.4' },
      { at: at(1), text: 'The invitation was emailed to Sam Signer' },
      { at: at(3), text: 'Sam Signer opened the document', device: 'Chrome on Linux', ip: '203.0.113.7' },
      {
        at: at(4),
        text: 'Sam Signer agreed to sign electronically',
        device: 'Chrome on Linux',
        ip: '203.0.113.7',
      },
      { at: at(6), text: 'Sam Signer signed', device: 'Chrome on Linux', ip: '203.0.113.7' },
      { at: at(6), text: 'Everyone has completed the envelope' },
    ],
    auditHeadHash: sha256Hex(Buffer.from(stampedSha256)),
    generatedAt: at(7),
  };
}
