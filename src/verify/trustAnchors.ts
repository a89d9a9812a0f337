import { X509Certificate } from 'node:crypto';
import { SignetError } from '../errors.ts';

/** DER certificates from a file holding one DER certificate or any number of PEM ones. */
export function certificatesFromFile(bytes: Uint8Array, name: string): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  try {
    if (pems) return pems.map((pem) => new Uint8Array(new X509Certificate(pem).raw));
    return [new Uint8Array(new X509Certificate(bytes).raw)];
  } catch {
    throw new SignetError('TRUST_ANCHOR_INVALID', `${name} does not hold an X.509 certificate (PEM or DER)`);
  }
}
