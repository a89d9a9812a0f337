import type { Answer, Envelope } from '@signet/sdk';
import Bowser from 'bowser';
import type { TFunction } from 'i18next';

/*
 * The audit log (GET /api/v1/envelopes/{id}/audit) in plain words: who did what, then when,
 * from which browser and address — "Ada Lovelace opened the document — 14:02, Safari on iPhone,
 * 81.2.69.160". People are named from the envelope's recipients and the signed-in user; an
 * event type the workspace does not know yet is shown by its type, never dropped.
 */

export type AuditEvent = Answer<'/api/v1/envelopes/{id}/audit', 'get'>['events'][number];

export interface TimelineEntry {
  seq: number;
  at: string;
  text: string;
  /** "Safari on iPhone", when the event came from a browser. */
  client?: string;
  ip?: string;
}

interface Context {
  envelope: Envelope;
  /** The signed-in user, to name their own actions. */
  me: { id: string; name: string | null; email: string };
}

export function timelineOf(events: AuditEvent[], context: Context, t: TFunction): TimelineEntry[] {
  return events.map((event) => ({
    seq: event.seq,
    at: event.at,
    text: describe(event, context, t),
    ...(event.userAgent ? { client: clientOf(event.userAgent, t) } : {}),
    ...(event.ip ? { ip: event.ip } : {}),
  }));
}

function describe(event: AuditEvent, { envelope, me }: Context, t: TFunction): string {
  const data = event.data;
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : '');
  const recipientNamed = (id: unknown) => {
    const recipient = envelope.recipients.find((r) => r.id === id);
    return recipient ? recipient.name || recipient.email : t('timeline.someRecipient');
  };
  const actor = actorName(event.actor, envelope, me, t);
  const recipient = recipientNamed(data.recipientId ?? event.actor.replace(/^recipient:/, ''));
  const method = t(`timeline.methods.${text('kind') || 'unknown'}`, { defaultValue: text('kind') });
  const values = {
    actor,
    recipient,
    method,
    reason: text('reason'),
    email: text('email') || text('to'),
    channel: t(`timeline.channels.${text('channel') || 'email'}`),
    mail: t(`timeline.mails.${text('kind')}`, { defaultValue: text('kind') }),
    type: t(`fieldTypes.${text('type')}`, { defaultValue: text('type') }),
    count: typeof data.recipients === 'number' ? data.recipients : 0,
  };
  switch (event.type) {
    case 'identity.failed':
      return t(`timeline.events.identity.failed`, {
        ...values,
        reason: t(`timeline.identityReasons.${text('reason')}`, { defaultValue: text('reason') }),
      });
    case 'envelope.declined':
      return t('timeline.events.envelope.declined', { ...values, recipient: recipientNamed(data.by) });
    default: {
      const key = `timeline.events.${event.type}`;
      return t(key, { ...values, defaultValue: t('timeline.unknown', { type: event.type, actor }) });
    }
  }
}

function actorName(actor: string, envelope: Envelope, me: Context['me'], t: TFunction): string {
  const [kind, id] = actor.split(':');
  if (kind === 'recipient') {
    const recipient = envelope.recipients.find((r) => r.id === id);
    return recipient ? recipient.name || recipient.email : t('timeline.someRecipient');
  }
  if (kind === 'user') return id === me.id ? me.name || me.email : t('timeline.colleague');
  if (kind === 'api-key') return t('timeline.integration');
  return t('timeline.system');
}

/** "Safari on iPhone", "Firefox on Windows"; what is not a known browser is shown as sent, shortened. */
export function clientOf(userAgent: string, t: TFunction): string {
  const parsed = Bowser.parse(userAgent);
  const browser = parsed.browser.name;
  const device = parsed.platform.model || parsed.os.name;
  if (browser && device) return t('timeline.client', { browser, device });
  if (browser) return browser;
  return userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent;
}
