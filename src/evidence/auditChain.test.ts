import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChainedAuditEvent, GENESIS_HASH, hashAuditEvent, verifyAuditChain } from './auditChain.ts';

function chain(length: number): ChainedAuditEvent[] {
  const events: ChainedAuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const content = {
      envelopeId: 'e1',
      seq,
      type: `event.${seq}`,
      actor: 'system',
      ip: null,
      userAgent: null,
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
      data: { n: seq },
    };
    const hash = hashAuditEvent(content, prevHash);
    events.push({ ...content, prevHash, hash });
    prevHash = hash;
  }
  return events;
}
const headOf = (events: ChainedAuditEvent[]) => ({ count: events.length, hash: events.at(-1)?.hash ?? null });
const problems = (events: ChainedAuditEvent[], head: { count: number; hash: string | null }) =>
  verifyAuditChain(events, head).map((p) => `${p.seq}:${p.problem}`);

describe('the audit hash chain', () => {
  it('verifies an untouched chain', () => {
    const events = chain(5);
    assert.deepEqual(problems(events, headOf(events)), []);
  });

  it('hashes independently of key order in the event data', () => {
    const a = {
      envelopeId: 'e',
      seq: 1,
      type: 't',
      actor: 'a',
      ip: null,
      userAgent: null,
      at: 'x',
      data: { a: 1, b: 2 },
    };
    const b = { ...a, data: { b: 2, a: 1 } };
    assert.equal(hashAuditEvent(a, GENESIS_HASH), hashAuditEvent(b, GENESIS_HASH));
  });

  it('finds an edited event', () => {
    const events = chain(4);
    const head = headOf(events);
    events[1] = { ...events[1]!, data: { n: 99 } };
    assert.deepEqual(problems(events, head), ['2:hash-mismatch']);
  });

  it('finds a deleted event in the middle', () => {
    const events = chain(4);
    const head = headOf(events);
    events.splice(1, 1);
    assert.ok(problems(events, head).includes('3:broken-link'));
  });

  it('finds reordered events', () => {
    const events = chain(4);
    const head = headOf(events);
    [events[1], events[2]] = [events[2]!, events[1]!];
    assert.ok(problems(events, head).some((p) => p.endsWith('broken-link')));
  });

  it('finds the newest events removed, through the recorded head', () => {
    const events = chain(4);
    const head = headOf(events);
    assert.deepEqual(problems(events.slice(0, 3), head), ['3:count-mismatch', '3:head-mismatch']);
  });

  it('finds a chain rebuilt from scratch with recomputed hashes', () => {
    const original = chain(3);
    const forged = chain(3).map((e) => ({ ...e }));
    forged[0] = { ...forged[0]!, data: { n: 42 } };
    // Recompute every hash so the chain is internally consistent…
    let prev = GENESIS_HASH;
    for (const e of forged) {
      const { prevHash: _p, hash: _h, ...content } = e;
      e.prevHash = prev;
      e.hash = hashAuditEvent(content, prev);
      prev = e.hash;
    }
    // …and still the head recorded on the envelope gives it away.
    assert.deepEqual(problems(forged, headOf(original)), ['3:head-mismatch']);
  });
});
