import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerContract } from '../http/contract.ts';
import { handleError, handleNotFound } from '../http/problem.ts';
import { supportRoutes } from './routes.ts';

/*
 * The SLA preview as a Fastify plugin, driven with app.inject(): the support routes alone and
 * the error handler every route shares. Who may call it is test/security/roles.test.ts's
 * business; here, what it answers.
 */

const cet = {
  timeZone: 'Europe/Berlin',
  hours: {
    mon: [['08:00', '17:00']],
    tue: [['08:00', '17:00']],
    wed: [],
    thu: [],
    fri: [],
    sat: [],
    sun: [],
  },
  holidays: ['2026-12-24', { date: '12-25', yearly: true }],
};
const policy = {
  critical: { calendar: '24/7', firstResponseMinutes: 15, nextUpdateMinutes: 60, resolutionMinutes: 600 },
  serious: {
    calendar: ['cet', 'cet'],
    firstResponseMinutes: 60,
    nextUpdateMinutes: 60,
    resolutionMinutes: null,
  },
};

describe('POST /api/v1/support/sla-preview', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify();
    app.setErrorHandler(handleError);
    app.setNotFoundHandler(handleNotFound);
    await registerContract(app, { version: 'test', publicUrl: 'http://127.0.0.1' });
    await app.register(async (scope) => supportRoutes(scope));
    await app.ready();
  });
  after(async () => {
    await app?.close();
  });

  const preview = (body: unknown) =>
    app.inject({ method: 'POST', url: '/api/v1/support/sla-preview', payload: body as object });
  const problemPaths = (body: string) =>
    (JSON.parse(body) as { errors: { path: string }[] }).errors.map((e) => e.path);

  it('answers the deadlines as if critical since opening, keeping the serious breach once', async () => {
    const response = await preview({
      calendars: { cet, '24/7': '24/7' },
      policy: { ...policy, critical: { ...policy.critical, calendar: '24/7' } },
      events: [
        { at: '2026-12-23T16:30:00+01:00', type: 'opened', severity: 'serious' },
        { at: '2026-12-31T23:50:00Z', type: 'severity', severity: 'critical' },
      ],
      now: '2027-01-01T00:00:00Z',
    });
    assert.equal(response.statusCode, 200, response.body);
    // Serious: this calendar works Mondays and Tuesdays only, and 24 December is a holiday, so an
    // hour from Mon 28 08:00 CET; that miss stays once. Critical since opening: 15 minutes.
    assert.deepEqual(response.json(), {
      deadlines: {
        firstResponse: '2026-12-23T15:45:00.000Z',
        nextUpdate: null,
        resolution: '2026-12-24T01:30:00.000Z',
      },
      breaches: [
        { metric: 'resolution', dueAt: '2026-12-24T01:30:00.000Z' },
        { metric: 'firstResponse', dueAt: '2026-12-28T08:00:00.000Z' },
      ],
    });
  });

  it('refuses an unknown zone, 25:00, overlapping ranges and an unknown calendar, naming each path', async () => {
    const response = await preview({
      calendars: {
        cet: { ...cet, timeZone: 'Europe/Atlantis' },
        late: { ...cet, hours: { ...cet.hours, mon: [['08:00', '25:00']] } },
        busy: {
          ...cet,
          hours: {
            ...cet.hours,
            tue: [
              ['08:00', '12:00'],
              ['11:00', '17:00'],
            ],
          },
        },
      },
      policy: { serious: { ...policy.serious, calendar: ['cet', 'pacific'] } },
      events: [{ at: '2026-06-01T08:00:00Z', type: 'opened', severity: 'serious' }],
      now: '2026-06-01T08:00:00Z',
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json().code, 'VALIDATION_FAILED');
    const paths = problemPaths(response.body);
    for (const path of [
      '/calendars/cet/timeZone',
      '/calendars/late/hours/mon/0/1',
      '/calendars/busy/hours/tue/1',
      '/policy/serious/calendar/1',
    ]) {
      assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    }
  });

  it('refuses a severity the policy has no targets for', async () => {
    const response = await preview({
      calendars: { cet },
      policy: { serious: { ...policy.serious, calendar: 'cet' } },
      events: [{ at: '2026-06-01T08:00:00Z', type: 'opened', severity: 'normal' }],
      now: '2026-06-01T08:00:00Z',
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.deepEqual(problemPaths(response.body), ['/events/0/severity']);
  });
});
