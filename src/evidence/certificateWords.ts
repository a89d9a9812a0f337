/*
 * Every word the certificate of completion prints, in English and German (issue #11: "English
 * and German complete … signing pages, emails, certificate labels"). A third language is one
 * more entry of CERTIFICATE_WORDS. Times stay ISO 8601 UTC in every language: they are evidence,
 * and a reader anywhere parses them the same way.
 */

export type CertificateLanguage = 'en' | 'de';

/** What a result fingerprint on the certificate is of. */
export type CertificateResultKind = 'completedBeforeCertificate' | 'sealedDocument';

export interface CertificateWords {
  certificateOfCompletion: string;
  envelope: string;
  envelopeId: string;
  title: string;
  organization: string;
  status: string;
  documents: string;
  recipients: string;
  certificateGenerated: string;
  auditChainHead: string;
  documentCount: (count: number) => string;
  pageCount: (count: number) => string;
  recipientCount: (count: number) => string;
  summaryNote: string;
  noDocuments: string;
  number: string;
  originalDocument: string;
  pages: string;
  sha256: string;
  result: string;
  results: Record<CertificateResultKind, string>;
  noRecipients: string;
  routingOrder: (order: number) => string;
  copy: string;
  copySent: (at: string) => string;
  receivesSealedCopy: string;
  receivesCopyLater: string;
  identityChecks: string;
  ipAddress: string;
  userAgent: string;
  viewed: string;
  consented: string;
  signed: string;
  agreedTo: string;
  quoted: (text: string) => string;
  declined: string;
  declineReason: string;
  copyNoSignature: string;
  noSignature: string;
  adoptedSignature: string;
  auditTrail: string;
  noEvents: string;
  timeUtc: string;
  whatHappened: string;
  deviceAndIp: string;
  pageOf: (page: number, total: number) => string;
  /** Envelope and recipient statuses and roles, by their codes. */
  codes: Record<string, string>;
}

const countOf = (one: string, many: string) => (count: number) => `${count} ${count === 1 ? one : many}`;

const EN: CertificateWords = {
  certificateOfCompletion: 'Certificate of Completion',
  envelope: 'Envelope',
  envelopeId: 'Envelope ID',
  title: 'Title',
  organization: 'Organization',
  status: 'Status',
  documents: 'Documents',
  recipients: 'Recipients',
  certificateGenerated: 'Certificate generated',
  auditChainHead: 'Audit chain head',
  documentCount: countOf('document', 'documents'),
  pageCount: countOf('page', 'pages'),
  recipientCount: countOf('recipient', 'recipients'),
  summaryNote:
    'All times are UTC (ISO 8601). A SHA-256 fingerprint identifies the exact bytes of a document; the ' +
    'audit chain head is the hash of the last entry of the tamper-evident audit log this summary is drawn from.',
  noDocuments: 'No documents.',
  number: '#',
  originalDocument: 'Original document',
  pages: 'Pages',
  sha256: 'SHA-256',
  result: 'Result',
  results: {
    completedBeforeCertificate: 'Completed document (fields applied, before this certificate)',
    sealedDocument: 'Sealed document',
  },
  noRecipients: 'No recipients.',
  routingOrder: (order) => `routing order ${order}`,
  copy: 'Copy',
  copySent: (at) => `Completed document sent ${at}`,
  receivesSealedCopy: 'Receives the completed, sealed document',
  receivesCopyLater: 'Receives a copy once everyone has completed',
  identityChecks: 'Identity checks',
  ipAddress: 'IP address',
  userAgent: 'User agent',
  viewed: 'Viewed',
  consented: 'Consented',
  signed: 'Signed',
  agreedTo: 'Agreed to',
  quoted: (text) => `“${text}”`,
  declined: 'Declined',
  declineReason: 'Reason for declining',
  copyNoSignature: 'Receives a copy; no signature',
  noSignature: 'No signature adopted',
  adoptedSignature: 'Adopted signature',
  auditTrail: 'Audit trail',
  noEvents: 'No events recorded.',
  timeUtc: 'Time (UTC)',
  whatHappened: 'What happened',
  deviceAndIp: 'Device and IP address',
  pageOf: (page, total) => `Page ${page} of ${total}`,
  codes: {},
};

const DE: CertificateWords = {
  certificateOfCompletion: 'Abschlusszertifikat',
  envelope: 'Umschlag',
  envelopeId: 'Umschlag-ID',
  title: 'Titel',
  organization: 'Organisation',
  status: 'Status',
  documents: 'Dokumente',
  recipients: 'Empfänger',
  certificateGenerated: 'Zertifikat erstellt',
  auditChainHead: 'Letzter Eintrag der Prüfkette',
  documentCount: countOf('Dokument', 'Dokumente'),
  pageCount: countOf('Seite', 'Seiten'),
  recipientCount: countOf('Empfänger', 'Empfänger'),
  summaryNote:
    'Alle Zeiten in UTC (ISO 8601). Ein SHA-256-Fingerabdruck bezeichnet genau die Bytes eines Dokuments; der ' +
    'letzte Eintrag der Prüfkette ist der Hash des letzten Eintrags im manipulationssicheren Protokoll, aus dem ' +
    'diese Zusammenfassung stammt.',
  noDocuments: 'Keine Dokumente.',
  number: 'Nr.',
  originalDocument: 'Originaldokument',
  pages: 'Seiten',
  sha256: 'SHA-256',
  result: 'Ergebnis',
  results: {
    completedBeforeCertificate: 'Ausgefülltes Dokument (Felder eingesetzt, vor diesem Zertifikat)',
    sealedDocument: 'Versiegeltes Dokument',
  },
  noRecipients: 'Keine Empfänger.',
  routingOrder: (order) => `Reihenfolge ${order}`,
  copy: 'Kopie',
  copySent: (at) => `Abgeschlossenes Dokument gesendet ${at}`,
  receivesSealedCopy: 'Erhält das abgeschlossene, versiegelte Dokument',
  receivesCopyLater: 'Erhält eine Kopie, sobald alle abgeschlossen haben',
  identityChecks: 'Identitätsprüfungen',
  ipAddress: 'IP-Adresse',
  userAgent: 'User-Agent',
  viewed: 'Angesehen',
  consented: 'Zugestimmt',
  signed: 'Unterschrieben',
  agreedTo: 'Zugestimmt zu',
  quoted: (text) => `„${text}“`,
  declined: 'Abgelehnt',
  declineReason: 'Grund der Ablehnung',
  copyNoSignature: 'Erhält eine Kopie; keine Unterschrift',
  noSignature: 'Keine Unterschrift hinterlegt',
  adoptedSignature: 'Hinterlegte Unterschrift',
  auditTrail: 'Protokoll',
  noEvents: 'Keine Ereignisse aufgezeichnet.',
  timeUtc: 'Zeit (UTC)',
  whatHappened: 'Was geschah',
  deviceAndIp: 'Gerät und IP-Adresse',
  pageOf: (page, total) => `Seite ${page} von ${total}`,
  codes: {
    // Envelope statuses
    draft: 'Entwurf',
    sent: 'Gesendet',
    completed: 'Abgeschlossen',
    declined: 'Abgelehnt',
    voided: 'Storniert',
    expired: 'Abgelaufen',
    // Recipient statuses
    created: 'Wartet',
    delivered: 'Zugestellt',
    viewed: 'Angesehen',
    signed: 'Unterschrieben',
    approved: 'Genehmigt',
    acknowledged: 'Zur Kenntnis genommen',
    'received a copy': 'Kopie erhalten',
    'receives a copy': 'Erhält eine Kopie',
    // Roles
    signer: 'Unterzeichner',
    approver: 'Genehmiger',
    viewer: 'Leser',
    cc: 'Kopie',
  },
};

export const CERTIFICATE_WORDS: Record<CertificateLanguage, CertificateWords> = { en: EN, de: DE };

/** A status or role code as a reader sees it: the language's word, else the code in sentence case. */
export function codeInWords(words: CertificateWords, code: string): string {
  const known = words.codes[code.toLowerCase()];
  if (known) return known;
  const spaced = code.replace(/[_-]+/g, ' ').trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
