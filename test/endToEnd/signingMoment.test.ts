import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PADES_LEVELS } from '../../src/pdf/pades.ts';
import { certificatesFromFile } from '../../src/verify/trustAnchors.ts';
import { verifyPdf } from '../../src/verify/verifyPdf.ts';
import {
  extractSignatures,
  hasTool,
  makeNssTrustStore,
  type NssTrustStore,
  runOpensslCmsVerify,
  runPdfsig,
  runTool,
} from '../peers/pdfValidators.ts';
import { type ApiClient, apiClient, latestTokenFor, openEveryDocument } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import { inkBox, readPpm } from '../support/pixels.ts';
import { makeSignaturePng } from '../support/png.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/*
 * Issue #13, "sign at the moment of signing": with per-signer signatures on, each signer's
 * signature is made when they finish, over what they were shown. Two signers an hour apart (the
 * platform's clock moved back an hour while the first signs), at every PAdES level: each
 * signature's claimed time (/M) falls inside its own certificate's validity, the first
 * signature covers a revision without the second signer's values, every later revision is one
 * Signet's validator lists as allowed, and pdfsig, OpenSSL and `signet verify` accept the file.
 */

const HOUR = 60 * 60 * 1000;

interface EnvelopeView {
  id: string;
  seal: { state: string; lastError?: string };
}

for (const kind of databaseKinds()) {
  describe(`per-signer signatures made as each signer finishes, an hour apart, on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let trust: NssTrustStore | undefined;
    let offset = 0;
    const work = mkdtempSync(join(tmpdir(), 'signet-moment-'));

    before(async () => {
      signet = await startTestSignet(kind, {}, '127.0.0.1', () => new Date(Date.now() + offset));
      api = apiClient(signet.app, (await createTestOrganization(signet, 'Hour Apart Ltd')).apiKey);
    });
    after(async () => {
      await trust?.cleanup();
      await signet?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    async function finishAs(email: string) {
      const token = await latestTokenFor(api, email);
      const signer = apiClient(signet.app);
      await signer.post(`/api/v1/signing/${token}/consent`);
      await openEveryDocument(signer, token);
      const done = await signer.post(`/api/v1/signing/${token}/finish`, {
        signature: { kind: 'drawn', png: makeSignaturePng().toString('base64') },
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
    }

    const events = async (id: string) =>
      (
        await api.get<{ events: { type: string; data: Record<string, unknown> }[] }>(
          `/api/v1/envelopes/${id}/audit`,
        )
      ).body.events;

    for (const level of PADES_LEVELS) {
      it(`at ${level}: each signature within its certificate's validity, each later revision allowed, valid everywhere`, async (t) => {
        if (!hasTool('pdfsig') || !hasTool('certutil') || !hasTool('openssl')) {
          return t.skip('apt-get install -y poppler-utils libnss3-tools openssl');
        }
        const policy = await api.put('/api/v1/organization/signature-policy', {
          padesLevel: level,
          perSignerSignatures: true,
        });
        assert.equal(policy.status, 200, JSON.stringify(policy.body));
        const created = await api.post<EnvelopeView>('/api/v1/envelopes?send=true', {
          title: `An hour apart at ${level}`,
          documents: [
            { name: 'terms.pdf', content: (await makePdf({ pages: 1, text: 'Terms' })).toString('base64') },
            { name: 'annex.pdf', content: (await makePdf({ pages: 1, text: 'Annex' })).toString('base64') },
          ],
          recipients: [
            { name: 'Zoë Ünal', email: 'zoe@client.test', role: 'signer', routingOrder: 1 },
            { name: 'Sam Client', email: 'sam@client.test', role: 'signer', routingOrder: 2 },
          ],
          fields: [
            { recipient: 'zoe@client.test', type: 'signature', x: 72, y: 600, width: 180, height: 50 },
            {
              recipient: 'sam@client.test',
              type: 'signature',
              document: 1,
              x: 300,
              y: 600,
              width: 180,
              height: 50,
            },
            {
              recipient: 'sam@client.test',
              type: 'name',
              document: 1,
              x: 300,
              y: 700,
              width: 180,
              height: 20,
            },
          ],
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const id = created.body.id;

        // Zoë signs an hour ago: her signature is made then, before Sam is even invited.
        offset = -HOUR;
        await finishAs('zoe@client.test');
        const applied = await eventually(
          async () => (await events(id)).find((e) => e.type === 'recipient.signature_applied'),
          'Zoë’s signature to be applied',
        );
        offset = 0;
        const zoeSignedAt = Date.parse(String(applied.data.signedAt));
        assert.ok(
          Math.abs(zoeSignedAt - (Date.now() - HOUR)) < 10 * 60 * 1000,
          String(applied.data.signedAt),
        );

        await finishAs('sam@client.test');
        await eventually(async () => {
          const view = (await api.get<EnvelopeView>(`/api/v1/envelopes/${id}`)).body;
          if (view.seal.state === 'failed') throw new Error(`seal failed: ${view.seal.lastError}`);
          return view.seal.state === 'done' ? true : undefined;
        }, 'the seal');
        const download = await signet.app.inject({
          method: 'GET',
          url: `/api/v1/envelopes/${id}/download`,
          headers: { authorization: api.authorization },
        });
        assert.equal(download.statusCode, 200);
        const pdf = new Uint8Array(download.rawPayload);
        const file = join(work, `${level}-${kind}.pdf`);
        writeFileSync(file, pdf);

        // pdfsig: the two signers and the seal, valid and trusted.
        trust ??= await makeNssTrustStore(signet.platform.pki.rootPem);
        const pdfsig = await runPdfsig(file, trust.dir);
        const cades = pdfsig.filter((s) => s.subFilter === 'ETSI.CAdES.detached');
        assert.equal(cades.length, 3, pdfsig.map((s) => s.raw).join('\n'));
        for (const signature of cades) {
          assert.ok(signature.signatureValid, signature.raw);
          assert.ok(signature.certificateTrusted, signature.raw);
        }
        assert.match(cades[0]?.raw ?? '', /Zo. .nal/);
        assert.match(cades[1]?.raw ?? '', /Sam Client/);

        // OpenSSL: each CMS over exactly its ByteRange, chained to the installation's root.
        const rootFile = join(work, 'root.pem');
        writeFileSync(rootFile, signet.platform.pki.rootPem);
        for (const [index, signature] of extractSignatures(pdf).slice(0, 3).entries()) {
          const cms = join(work, `${level}-${kind}-${index}.p7s`);
          const content = join(work, `${level}-${kind}-${index}.bin`);
          writeFileSync(cms, signature.cms);
          writeFileSync(content, signature.signedContent);
          const verified = await runOpensslCmsVerify(cms, content, rootFile);
          assert.equal(verified.exitCode, 0, `signature ${index + 1}: ${verified.stderr}`);
        }

        // Legible: on the page, Zoë's adopted signature lies in the box the sender placed, and the
        // digital signature's caption (frame and text in its blue) beside it, never over it.
        const ppm = join(work, `${level}-${kind}-page1`);
        await runTool('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', '-singlefile', file, ppm]);
        const page = readPpm(readFileSync(`${ppm}.ppm`));
        const field = { left: 72, top: 600, right: 72 + 180, bottom: 600 + 50 };
        // Told apart by hue, which blending with the white page keeps: (g − r) / (b − r) is 0.2
        // for the ink (16, 32, 96) and 0.38 for the caption's blue (31, 79, 158).
        const hue = (r: number, g: number, b: number) => (b - r > 30 ? (g - r) / (b - r) : Number.NaN);
        const ink = inkBox(page, (r, g, b) => hue(r, g, b) < 0.28);
        const caption = inkBox(page, (r, g, b) => hue(r, g, b) > 0.3 && hue(r, g, b) < 0.5);
        assert.ok(ink.count > 50 && caption.count > 50, JSON.stringify({ ink, caption }));
        assert.ok(
          ink.left >= field.left - 1 &&
            ink.right <= field.right + 1 &&
            ink.top >= field.top - 1 &&
            ink.bottom <= field.bottom + 1,
          `the adopted signature stays in its box: ${JSON.stringify(ink)}`,
        );
        const overlaps =
          caption.left < field.right &&
          field.left < caption.right &&
          caption.top < field.bottom &&
          field.top < caption.bottom;
        assert.equal(
          overlaps,
          false,
          `the caption ${JSON.stringify(caption)} is drawn over the signature box`,
        );
        assert.ok(caption.top >= field.bottom && caption.top - field.bottom < 6, 'right below it');

        // Signet's validator: valid; /M inside each signer's certificate; later revisions allowed.
        const report = await verifyPdf(pdf, {
          trustAnchors: certificatesFromFile(Buffer.from(signet.platform.pki.rootPem), 'root'),
          revocation: 'embedded-only',
        });
        assert.equal(
          report.verdict,
          'valid',
          JSON.stringify(report.findings.concat(report.signatures.flatMap((s) => s.findings))),
        );
        const [zoe, sam, seal] = report.signatures;
        assert.ok(zoe && sam && seal);
        for (const signer of [zoe, sam]) {
          const claimed = Date.parse(signer.claimedTime ?? '');
          assert.ok(Date.parse(signer.signer?.notBefore ?? '') <= claimed, JSON.stringify(signer.signer));
          assert.ok(claimed <= Date.parse(signer.signer?.notAfter ?? ''), JSON.stringify(signer.signer));
        }
        assert.ok(
          Date.parse(sam.claimedTime ?? '') - Date.parse(zoe.claimedTime ?? '') > HOUR - 10 * 60 * 1000,
          `${zoe.claimedTime} → ${sam.claimedTime}`,
        );
        // Zoë's signature covers an earlier revision than Sam's values, which came after it as
        // annotations — changes a signed document may still receive.
        assert.ok((zoe.coverage.signedRevision ?? 0) < (sam.coverage.signedRevision ?? 0));
        assert.equal(zoe.coverage.modifications, 'allowed-changes');
        assert.ok(
          zoe.coverage.changes.every((change) => change.allowed),
          JSON.stringify(zoe.coverage.changes),
        );
        assert.ok(
          zoe.coverage.changes.some((change) => change.rule === 'annotations'),
          JSON.stringify(zoe.coverage.changes),
        );
        const expected = level === 'B-LTA' ? 'B-LTA' : level;
        assert.deepEqual(
          [zoe.padesLevel, sam.padesLevel, seal.padesLevel],
          [expected, expected, expected],
          JSON.stringify(report.signatures.map((s) => s.findings)),
        );
      });
    }
  });
}
