import { readFile } from 'node:fs/promises';
import { createSignetClient, SignetApiError } from '@signet/sdk';

const signet = createSignetClient({ baseUrl: process.env.SIGNET_URL!, apiKey: process.env.SIGNET_API_KEY! });
const pdf = await readFile(process.argv[2] ?? 'contract.pdf');

// 1. Create and send: multipart, the `envelope` part typed from the OpenAPI document; an
//    Idempotency-Key is made for you, so the one retry after a lost answer cannot create a second.
const envelope = await signet.createEnvelope(
  {
    title: 'Consulting agreement',
    recipients: [{ name: 'Ada Lovelace', email: 'ada@example.com', role: 'signer' }],
    fields: [
      { recipient: 'ada@example.com', type: 'signature', page: 1, x: 60, y: 600, width: 180, height: 50 },
    ],
  },
  [{ name: 'contract.pdf', bytes: pdf }],
  { send: true },
);

// 2. Ada's link, from the local outbox (an organization:admin key reads it).
const { messages } = await signet.get('/api/v1/outbox/mail', { params: { query: { limit: 500 } } });
const invitation = messages.find((m) => m.envelopeId === envelope.id && m.kind === 'invitation');
const token = /\/sign\/(\S+)/.exec(invitation?.text ?? '')?.[1];
if (!token) throw new Error('no invitation in the outbox');

// 3. Ada signs through the signer API: her link is the credential, no API key.
const ada = createSignetClient({ baseUrl: process.env.SIGNET_URL! });
const session = await ada.get('/api/v1/signing/{token}', { params: { path: { token } } });
for (const document of session.documents) await ada.downloadSigningDocument(token, document.id); // she reads each one
await ada.post('/api/v1/signing/{token}/consent', { params: { path: { token } } });
await ada.post('/api/v1/signing/{token}/finish', {
  params: { path: { token } },
  body: { signature: { kind: 'typed', text: 'Ada Lovelace' } },
});

// 4. Wait for the seal (a minute at most), then download the sealed PDF as bytes.
for (let i = 0; i < 120; i++) {
  const { seal } = await signet.get('/api/v1/envelopes/{id}', { params: { path: { id: envelope.id } } });
  if (seal?.state === 'done') break;
  if (seal?.state === 'failed') throw new Error(`the seal failed: ${seal.lastError}`);
  await new Promise((resolve) => setTimeout(resolve, 500));
}
const signed = await signet.downloadSealedPdf(envelope.id);
console.log(`${envelope.id}: sealed, ${signed.length} bytes`);

// 5. Every envelope, page after page; and errors as values with a stable code and the pointer
//    of every bad field.
for await (const summary of signet.paginate('/api/v1/envelopes', { query: { status: 'completed' } })) {
  console.log(summary.id, summary.title);
}
try {
  await signet.post('/api/v1/envelopes/{id}/void', {
    params: { path: { id: envelope.id } },
    body: { reason: 'x' },
  });
} catch (error) {
  if (!(error instanceof SignetApiError)) throw error;
  console.log(error.status, error.code); // 409 ENVELOPE_NOT_VOIDABLE: a completed envelope stays so
}
