import Bowser from 'bowser';

/*
 * An envelope's timeline (SPEC §D, issue #11): its audit events in plain words, naming people
 * rather than ids — "Ada Lovelace opened the document" — with when, from which device and
 * address. Pure: the events and a directory of the people, documents and keys they mention in,
 * entries out, in English or German. The audit trail stays the evidence; this is how a person
 * reads it (the envelope page, the certificate of completion).
 */

export type TimelineLanguage = 'en' | 'de';

/** An audit event as the chain stores it (only what the timeline reads). */
export interface TimelineEvent {
  seq: number;
  at: string;
  type: string;
  actor: string;
  ip: string | null;
  userAgent: string | null;
  data: Record<string, unknown>;
}

export interface TimelinePerson {
  name: string;
  email: string | null;
}

/** Whom and what the events' ids stand for. */
export interface TimelineDirectory {
  recipients: ReadonlyMap<string, TimelinePerson & { role: string }>;
  users: ReadonlyMap<string, TimelinePerson>;
  apiKeys: ReadonlyMap<string, { name: string; createdBy: TimelinePerson | null }>;
  documents: ReadonlyMap<string, string>;
  /** The person who sent the envelope, for mail to them. */
  sender: TimelinePerson | null;
  /** Who "the system" is to a reader: the organisation's product name. */
  productName: string;
}

export interface TimelineEntry {
  seq: number;
  at: string;
  /** The event type, e.g. `recipient.viewed`. */
  action: string;
  actor: { kind: 'recipient' | 'user' | 'api-key' | 'system'; name: string; email: string | null };
  text: string;
  /** e.g. "Safari on iPhone"; null when the event came from no browser. */
  device: string | null;
  ip: string | null;
}

interface Words {
  someone: string;
  apiKey: (name: string) => string;
  apiKeyOf: (name: string, owner: string) => string;
  on: string;
  role: Record<string, string>;
  method: Record<string, string>;
  mail: Record<string, string>;
  events: Record<string, (w: Said) => string>;
  unknown: (w: Said) => string;
}

/** What a sentence may say: the actor, the recipient the event is about, and the event's data. */
interface Said {
  actor: string;
  recipient: string;
  data: Record<string, unknown>;
  text: (key: string) => string;
  method: string;
  document: string;
  productName: string;
  /** The role of the recipient the event is about ('' when none). */
  role: string;
}

const EN: Words = {
  someone: 'Someone',
  apiKey: (name) => `API key “${name}”`,
  apiKeyOf: (name, owner) => `${owner} (API key “${name}”)`,
  on: 'on',
  role: { signer: 'sign', approver: 'approve', viewer: 'review', cc: 'receive a copy' },
  method: {
    email: 'email link',
    accessCode: 'access code',
    otp: 'one-time code',
    saml: 'SAML sign-in',
    oidc: 'OpenID Connect sign-in',
  },
  mail: {
    invitation: 'the invitation',
    reminder: 'a reminder',
    completed: 'the completed document',
    declined: 'the news that it was declined',
    voided: 'the news that it was voided',
    expired: 'the news that it expired',
    'one-time-code': 'a one-time code',
  },
  events: {
    'envelope.created': (w) => `${w.actor} created the envelope “${w.text('title')}”`,
    'envelope.sent': (w) => `${w.actor} sent the envelope`,
    'recipient.invited': (w) => `${w.recipient} was invited to ${EN.role[w.role] ?? 'act'}`,
    'recipient.reminded': (w) => `${w.recipient} was reminded`,
    'envelope.reminded': (w) =>
      w.actor === w.productName ? 'Reminders were sent automatically' : `${w.actor} sent a reminder`,
    'mail.sent': (w) =>
      w.data.kind === 'completed' && w.role === 'cc'
        ? `${w.recipient} received a copy`
        : `${capitalized(EN.mail[w.text('kind')] ?? 'a message')} was emailed to ${w.recipient}`,
    'recipient.viewed': (w) => `${w.actor} opened the document`,
    'document.viewed': (w) => `${w.actor} viewed “${w.document}”`,
    'recipient.document_viewed': (w) => `${w.actor} viewed “${w.document}”`,
    'identity.code-sent': (w) =>
      `A one-time code was sent to ${w.recipient} by ${w.data.channel === 'sms' ? 'text message' : 'email'}`,
    'identity.passed': (w) => `${w.recipient} passed the ${w.method} check`,
    'identity.failed': (w) => `${w.recipient} failed the ${w.method} check`,
    'identity.locked': (w) => `${w.recipient}’s ${w.method} check was locked after too many attempts`,
    'identity.unlocked': (w) => `${w.actor} unlocked ${w.recipient}’s ${w.method} check`,
    'identity.saml.requested': (w) => `${w.recipient} was sent to sign in with SAML`,
    'identity.oidc.requested': (w) => `${w.recipient} was sent to sign in with OpenID Connect`,
    'recipient.consented': (w) => `${w.actor} agreed to sign electronically`,
    'field.filled': (w) => `${w.actor} filled in the form fields`,
    'recipient.signed': (w) => `${w.actor} signed`,
    'recipient.signature_applied': (w) =>
      `${w.recipient}’s digital signature was applied (certificate ${w.text('certificateSerial')})`,
    'recipient.approved': (w) => `${w.actor} approved`,
    'recipient.acknowledged': (w) => `${w.actor} reviewed and acknowledged`,
    'recipient.declined': (w) => `${w.actor} declined: “${w.text('reason')}”`,
    'envelope.declined': () => 'The envelope was closed because it was declined',
    'envelope.completed': () => 'Everyone has completed the envelope',
    'envelope.sealed': () => 'The completed document was sealed',
    'envelope.archive_renewed': (w) =>
      `A new archive time-stamp keeps the sealed document provable (until ${w.text('archiveExpiresAt').slice(0, 10)})`,
    'envelope.voided': (w) => `${w.actor} voided the envelope: “${w.text('reason')}”`,
    'envelope.expired': () => 'The envelope expired',
    'recipient.signing_url_created': (w) => `${w.actor} created an embedded signing link for ${w.recipient}`,
  },
  unknown: (w) => `${w.actor}: ${w.text('type')}`,
};

const DE: Words = {
  someone: 'Jemand',
  apiKey: (name) => `API-Schlüssel „${name}“`,
  apiKeyOf: (name, owner) => `${owner} (API-Schlüssel „${name}“)`,
  on: 'auf',
  role: { signer: 'Unterschreiben', approver: 'Freigeben', viewer: 'Prüfen', cc: 'Erhalt einer Kopie' },
  method: {
    email: 'E-Mail-Link',
    accessCode: 'Zugangscode',
    otp: 'Einmalcode',
    saml: 'SAML-Anmeldung',
    oidc: 'OpenID-Connect-Anmeldung',
  },
  mail: {
    invitation: 'Die Einladung',
    reminder: 'Eine Erinnerung',
    completed: 'Das abgeschlossene Dokument',
    declined: 'Die Nachricht über die Ablehnung',
    voided: 'Die Nachricht über das Zurückziehen',
    expired: 'Die Nachricht über den Ablauf',
    'one-time-code': 'Ein Einmalcode',
  },
  events: {
    'envelope.created': (w) => `${w.actor} hat den Umschlag „${w.text('title')}“ erstellt`,
    'envelope.sent': (w) => `${w.actor} hat den Umschlag gesendet`,
    'recipient.invited': (w) => `${w.recipient} wurde zum ${DE.role[w.role] ?? 'Handeln'} eingeladen`,
    'recipient.reminded': (w) => `${w.recipient} wurde erinnert`,
    'envelope.reminded': (w) =>
      w.actor === w.productName
        ? 'Erinnerungen wurden automatisch gesendet'
        : `${w.actor} hat eine Erinnerung gesendet`,
    'mail.sent': (w) =>
      w.data.kind === 'completed' && w.role === 'cc'
        ? `${w.recipient} hat eine Kopie erhalten`
        : `${DE.mail[w.text('kind')] ?? 'Eine Nachricht'} wurde per E-Mail an ${w.recipient} gesendet`,
    'recipient.viewed': (w) => `${w.actor} hat das Dokument geöffnet`,
    'document.viewed': (w) => `${w.actor} hat „${w.document}“ angesehen`,
    'recipient.document_viewed': (w) => `${w.actor} hat „${w.document}“ angesehen`,
    'identity.code-sent': (w) =>
      `Ein Einmalcode wurde per ${w.data.channel === 'sms' ? 'SMS' : 'E-Mail'} an ${w.recipient} gesendet`,
    'identity.passed': (w) => `${w.recipient} hat die Prüfung per ${w.method} bestanden`,
    'identity.failed': (w) => `${w.recipient} hat die Prüfung per ${w.method} nicht bestanden`,
    'identity.locked': (w) =>
      `Die Prüfung per ${w.method} für ${w.recipient} wurde nach zu vielen Versuchen gesperrt`,
    'identity.unlocked': (w) => `${w.actor} hat die Prüfung per ${w.method} für ${w.recipient} entsperrt`,
    'identity.saml.requested': (w) => `${w.recipient} wurde zur SAML-Anmeldung weitergeleitet`,
    'identity.oidc.requested': (w) => `${w.recipient} wurde zur OpenID-Connect-Anmeldung weitergeleitet`,
    'recipient.consented': (w) => `${w.actor} hat der elektronischen Unterschrift zugestimmt`,
    'field.filled': (w) => `${w.actor} hat die Formularfelder ausgefüllt`,
    'recipient.signed': (w) => `${w.actor} hat unterschrieben`,
    'recipient.signature_applied': (w) =>
      `Die digitale Signatur von ${w.recipient} wurde angebracht (Zertifikat ${w.text('certificateSerial')})`,
    'recipient.approved': (w) => `${w.actor} hat freigegeben`,
    'recipient.acknowledged': (w) => `${w.actor} hat geprüft und bestätigt`,
    'recipient.declined': (w) => `${w.actor} hat abgelehnt: „${w.text('reason')}“`,
    'envelope.declined': () => 'Der Umschlag wurde geschlossen, weil er abgelehnt wurde',
    'envelope.completed': () => 'Alle haben den Umschlag abgeschlossen',
    'envelope.sealed': () => 'Das abgeschlossene Dokument wurde versiegelt',
    'envelope.archive_renewed': (w) =>
      `Ein neuer Archivzeitstempel hält das versiegelte Dokument nachweisbar (bis ${w.text('archiveExpiresAt').slice(0, 10)})`,
    'envelope.voided': (w) => `${w.actor} hat den Umschlag zurückgezogen: „${w.text('reason')}“`,
    'envelope.expired': () => 'Der Umschlag ist abgelaufen',
    'recipient.signing_url_created': (w) =>
      `${w.actor} hat einen Link zum eingebetteten Unterschreiben für ${w.recipient} erstellt`,
  },
  unknown: (w) => `${w.actor}: ${w.text('type')}`,
};

const WORDS: Record<TimelineLanguage, Words> = { en: EN, de: DE };

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The recipient an event is about: named in its data, or the actor when a recipient acted. */
function recipientIdOf(event: TimelineEvent): string | undefined {
  if (typeof event.data.recipientId === 'string') return event.data.recipientId;
  return event.actor.startsWith('recipient:') ? event.actor.slice('recipient:'.length) : undefined;
}

/** "Safari on iPhone", "Chrome on Windows"; null for clients that are no browser. */
export function describeDevice(userAgent: string | null, language: TimelineLanguage = 'en'): string | null {
  if (!userAgent) return null;
  const parsed = Bowser.parse(userAgent);
  const browser = parsed.browser.name;
  const os = parsed.os.name;
  if (!browser && !os) return null;
  const model = parsed.platform.model;
  const where =
    (parsed.platform.type === 'mobile' || parsed.platform.type === 'tablet') &&
    model &&
    /^i(Phone|Pad|Pod)/.test(model)
      ? model
      : os === 'macOS'
        ? 'Mac'
        : os;
  if (browser && where) return `${browser} ${WORDS[language].on} ${where}`;
  return browser ?? where ?? null;
}

function actorOf(event: TimelineEvent, directory: TimelineDirectory, words: Words): TimelineEntry['actor'] {
  const [kind, id = ''] = event.actor.split(/:(.*)/s);
  if (kind === 'recipient') {
    const person = directory.recipients.get(id);
    return { kind, name: person?.name || person?.email || words.someone, email: person?.email ?? null };
  }
  if (kind === 'user') {
    const person = directory.users.get(id);
    return { kind, name: person?.name || person?.email || words.someone, email: person?.email ?? null };
  }
  if (kind === 'api-key') {
    const key = directory.apiKeys.get(id);
    const owner = key?.createdBy ? key.createdBy.name || key.createdBy.email || '' : '';
    const keyName = key?.name || id.slice(0, 8);
    return {
      kind,
      name: owner ? words.apiKeyOf(keyName, owner) : words.apiKey(keyName),
      email: key?.createdBy?.email ?? null,
    };
  }
  return { kind: 'system', name: directory.productName, email: null };
}

/** The events in plain words, in chain order. */
export function timelineOf(
  events: readonly TimelineEvent[],
  directory: TimelineDirectory,
  language: TimelineLanguage = 'en',
): TimelineEntry[] {
  const words = WORDS[language];
  return events.map((event) => {
    const actor = actorOf(event, directory, words);
    const recipientId = recipientIdOf(event);
    const recipient = recipientId ? directory.recipients.get(recipientId) : undefined;
    const mailedTo = typeof event.data.to === 'string' ? event.data.to : undefined;
    const byAddress = mailedTo
      ? [...directory.recipients.values()].find((r) => r.email === mailedTo.toLowerCase())
      : undefined;
    const about = recipient ?? byAddress;
    const toSender =
      mailedTo && directory.sender?.email && mailedTo.toLowerCase() === directory.sender.email.toLowerCase()
        ? directory.sender
        : undefined;
    const documentId = typeof event.data.documentId === 'string' ? event.data.documentId : undefined;
    const said: Said = {
      actor: actor.name,
      recipient: about?.name || toSender?.name || mailedTo || words.someone,
      data: event.data,
      text: (key) => (key === 'type' ? event.type : String(event.data[key] ?? '')),
      method: words.method[String(event.data.kind)] ?? String(event.data.kind ?? ''),
      document:
        (documentId ? directory.documents.get(documentId) : undefined) ??
        String(event.data.documentName ?? event.data.name ?? ''),
      productName: directory.productName,
      role: about?.role ?? '',
    };
    const sentence = words.events[event.type] ?? words.unknown;
    return {
      seq: event.seq,
      at: event.at,
      action: event.type,
      actor,
      text: sentence(said),
      device: describeDevice(event.userAgent, language),
      ip: event.ip,
    };
  });
}
