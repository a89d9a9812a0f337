import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';

/** Where composed mail goes: a real SMTP relay, or (development, no SMTP_URL) the local outbox. */
export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  deliver(message: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export interface OutgoingMail {
  id: string;
  from: string;
  /**
   * The organisation's display name for this mail ("Ada Lovelace via Acme"): it replaces the
   * name of MAIL_FROM, whose address stays (the platform's domain is the one SPF and DKIM vouch for).
   */
  fromName?: string | null;
  replyTo?: string | null;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments: { filename: string; content: Buffer; contentType: string }[];
}

export function createMailTransport(smtpUrl: string | undefined): MailTransport {
  if (!smtpUrl) {
    // The outbox is the mail_messages table itself: delivering just marks the row sent.
    return {
      kind: 'outbox',
      deliver: async (message) => ({ messageId: `<${message.id}@signet.outbox>` }),
      close: () => undefined,
    };
  }
  const transporter = nodemailer.createTransport(smtpUrl);
  return {
    kind: 'smtp',
    async deliver(message) {
      const hostname = new URL(smtpUrl).hostname || 'signet';
      // A stable Message-ID per mail row lets receivers drop the duplicate if a retry re-sends it.
      const messageId = `<${message.id}@${hostname}>`;
      await transporter.sendMail({
        from: fromHeader(message),
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId,
        attachments: message.attachments,
      });
      return { messageId };
    },
    close: () => transporter.close(),
  };
}

/** MAIL_FROM's address under the mail's own display name, when it has one. */
export function fromHeader(
  message: Pick<OutgoingMail, 'from' | 'fromName'>,
): string | { name: string; address: string } {
  if (!message.fromName) return message.from;
  const [parsed] = addressparser(message.from, { flatten: true });
  return parsed?.address ? { name: message.fromName, address: parsed.address } : message.from;
}
