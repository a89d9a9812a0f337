import { SignetError } from '../errors.ts';

/*
 * PEM (RFC 7468) for what Node's crypto module does not read or write itself: certification
 * requests, CRLs, and files that hold several certificates.
 */

export type PemLabel = 'CERTIFICATE' | 'CERTIFICATE REQUEST' | 'X509 CRL';

/** RFC 7468 §2: base64 in lines of 64 characters between the boundaries. */
export function toPem(label: PemLabel, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER of every `label` block in `text`, in order (none: an empty list). */
export function pemBlocks(text: string, label: PemLabel): Uint8Array[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  return [...text.matchAll(pattern)].map((match) => {
    const body = (match[1] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
      throw new SignetError('PEM_INVALID', `a ${label} block is not base64`);
    }
    return new Uint8Array(Buffer.from(body, 'base64'));
  });
}

/**
 * The DER of a file that holds one `label` block or is DER itself. `what` names the file in
 * errors.
 */
export function singleDerOrPem(bytes: Uint8Array, label: PemLabel, what: string): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  if (!text.includes('-----BEGIN ')) return bytes;
  const blocks = pemBlocks(text, label);
  const [first, ...others] = blocks;
  if (!first) throw new SignetError('PEM_INVALID', `${what} holds no ${label} block`);
  if (others.length > 0) {
    throw new SignetError('PEM_INVALID', `${what} holds ${blocks.length} ${label} blocks; expected one`);
  }
  return first;
}
