import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { verifyEnvelopeAudit } from '../../src/evidence/auditLog.ts';
import { type ApiClient, apiClient, envelopeJson } from '../support/apiClient.ts';
import { makePdf } from '../support/pdfFixtures.ts';
import {
  createTestOrganization,
  databaseKinds,
  eventually,
  startTestSignet,
  type TestSignet,
} from '../support/signetHarness.ts';

/** The audit chain catches edited, deleted and reordered events; blobs catch tampering on read (SPEC §D, §L). */
for (const kind of databaseKinds()) {
  describe(`evidence tampering on ${kind}`, () => {
    let signet: TestSignet;
    let api: ApiClient;
    let envelopeId: string;
    let documentId: string;
    let documentSha: string;

    before(async () => {
      signet = await startTestSignet(kind);
      api = apiClient(signet.app, (await createTestOrganization(signet)).apiKey);
    });
    after(() => signet?.stop());

    beforeEach(async () => {
      const created = await api.post<{ id: string; documents: { id: string; sha256: string }[] }>(
        '/api/v1/envelopes?send=true',
        envelopeJson(await makePdf({ text: `Tamper ${Math.random()}` })),
      );
      assert.equal(created.status, 201);
      envelopeId = created.body.id;
      documentId = created.body.documents[0]!.id;
      documentSha = created.body.documents[0]!.sha256;
      await api.post(`/api/v1/envelopes/${envelopeId}/remind`);
      // Let the mail jobs append their `mail.sent` events first: tampering races nothing then.
      await eventually(async () => {
        const [row] = await signet.platform.db.query<{ queued: number }>(
          `select count(*)::int as queued from mail_messages where envelope_id = $1 and state = 'queued'`,
          [envelopeId],
        );
        return row?.queued === 0 ? true : undefined;
      }, 'mail delivered');
      const verified = await verifyEnvelopeAudit(signet.platform.db, envelopeId);
      assert.ok(verified.ok, JSON.stringify(verified.problems));
      assert.ok(verified.events >= 5, `events: ${verified.events}`);
    });

    const problemsAfter = async (tamper: string, params: unknown[] = [envelopeId]) => {
      await signet.platform.db.query(tamper, params);
      const result = await verifyEnvelopeAudit(signet.platform.db, envelopeId);
      assert.equal(result.ok, false, 'tampering went unnoticed');
      const audit = await api.get<{ verified: boolean }>(`/api/v1/envelopes/${envelopeId}/audit`);
      assert.equal(audit.body.verified, false);
      return result.problems.map((p) => p.problem);
    };

    it('detects an edited event', async () => {
      const problems = await problemsAfter(
        `update audit_events set data = '{"title":"Something else"}' where envelope_id = $1 and seq = 1`,
      );
      assert.ok(problems.includes('hash-mismatch'));
    });

    it('detects an edited actor or time', async () => {
      const problems = await problemsAfter(
        `update audit_events set at = at - interval '1 day' where envelope_id = $1 and seq = 2`,
      );
      assert.ok(problems.includes('hash-mismatch'));
    });

    it('detects a deleted event', async () => {
      const problems = await problemsAfter('delete from audit_events where envelope_id = $1 and seq = 2');
      assert.ok(problems.includes('broken-link') || problems.includes('sequence-gap'));
    });

    it('detects deleting the newest events', async () => {
      const problems = await problemsAfter(
        'delete from audit_events where envelope_id = $1 and seq = (select max(seq) from audit_events where envelope_id = $1)',
      );
      assert.ok(problems.includes('count-mismatch') || problems.includes('head-mismatch'));
    });

    it('detects reordered events', async () => {
      await signet.platform.db.query('update audit_events set seq = -1 where envelope_id = $1 and seq = 2', [
        envelopeId,
      ]);
      await signet.platform.db.query('update audit_events set seq = 2 where envelope_id = $1 and seq = 3', [
        envelopeId,
      ]);
      const problems = await problemsAfter(
        'update audit_events set seq = 3 where envelope_id = $1 and seq = -1',
      );
      assert.ok(problems.includes('broken-link') || problems.includes('hash-mismatch'));
    });

    it('detects a rewritten chain whose head no longer matches the envelope', async () => {
      // Even recomputing every hash cannot hide a removed event: the envelope records the head.
      const problems = await problemsAfter(
        `update envelopes set audit_head_hash = repeat('a', 64) where id = $1`,
      );
      assert.ok(problems.includes('head-mismatch'));
    });

    it('refuses to serve a document whose stored bytes were altered', async () => {
      const file = join(
        signet.dataDir,
        'blobs',
        documentSha.slice(0, 2),
        documentSha.slice(2, 4),
        documentSha,
      );
      const stored = readFileSync(file);
      stored[stored.length - 10]! ^= 0x01;
      writeFileSync(file, stored);
      const response = await api.get<{ code: string }>(
        `/api/v1/envelopes/${envelopeId}/documents/${documentId}`,
      );
      assert.equal(response.status, 500);
      assert.equal(response.body.code, 'BLOB_TAMPERED');
    });

    it('refuses to serve another document swapped in under the same name', async () => {
      const other = await api.post<{ documents: { sha256: string }[] }>(
        '/api/v1/envelopes',
        envelopeJson(await makePdf({ text: 'A different document' })),
      );
      const otherSha = other.body.documents[0]!.sha256;
      const pathOf = (sha: string) => join(signet.dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha);
      writeFileSync(pathOf(documentSha), readFileSync(pathOf(otherSha)));
      const response = await api.get<{ code: string }>(
        `/api/v1/envelopes/${envelopeId}/documents/${documentId}`,
      );
      assert.equal(response.status, 500);
      assert.equal(response.body.code, 'BLOB_TAMPERED');
    });

    it('stores documents encrypted, never in the clear', async () => {
      const file = join(
        signet.dataDir,
        'blobs',
        documentSha.slice(0, 2),
        documentSha.slice(2, 4),
        documentSha,
      );
      const stored = readFileSync(file);
      assert.equal(stored.subarray(0, 4).toString(), 'SGB1');
      assert.equal(stored.includes(Buffer.from('%PDF-')), false);
      assert.equal(stored.includes(Buffer.from('Tamper')), false);
    });
  });
}
