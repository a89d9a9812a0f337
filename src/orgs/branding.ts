import { imageSize } from 'image-size';
import { PDFDocument } from 'pdf-lib';
import type { BlobStore } from '../blobs/blobStore.ts';
import type { Database, Sql } from '../db/database.ts';
import { SignetError } from '../errors.ts';
import { DEFAULT_PRIMARY_COLOR, type LogoInfo, loadOrganizationRow, logoPath } from './settings.ts';

/*
 * White label (SPEC §G): what a signer sees of whoever sends them a document is the
 * organisation's brand — its product name (its own name unless it chose another), colour and
 * logo — never the platform's.
 */

export interface Branding {
  organizationId: string;
  /** The organisation's legal name, e.g. for "on behalf of". */
  organizationName: string;
  /** What signers see as the product's name: the chosen one, else the organisation's name. */
  productName: string;
  /** #rrggbb, readable in white (contrast ≥ 4.5:1). */
  primaryColor: string;
  /** The logo's public path on this organisation's host (`/branding/<id>/logo?v=…`), or null. */
  logoUrl: string | null;
  logo: LogoInfo | null;
  /** The mail sender's display name: the chosen one, else the product name. */
  emailSenderName: string;
  replyTo: string | null;
}

/** The organisation's brand, with every default filled in. */
export async function brandingFor(db: Sql, organizationId: string): Promise<Branding> {
  const row = await loadOrganizationRow(db, organizationId);
  const productName = row.product_name ?? row.name;
  const logo: LogoInfo | null =
    row.logo_sha256 && row.logo_content_type
      ? {
          sha256: row.logo_sha256,
          contentType: row.logo_content_type,
          width: row.logo_width ?? 0,
          height: row.logo_height ?? 0,
        }
      : null;
  return {
    organizationId: row.id,
    organizationName: row.name,
    productName,
    primaryColor: row.primary_color ?? DEFAULT_PRIMARY_COLOR,
    logoUrl: logo ? logoPath(row.id, logo.sha256) : null,
    logo,
    emailSenderName: row.email_sender_name ?? productName,
    replyTo: row.reply_to,
  };
}

/** A logo is small: it goes into every mail and certificate. */
export const MAX_LOGO_BYTES = 256 * 1024;
const MAX_LOGO_SIDE = 2000;
const MIN_LOGO_SIDE = 16;

/**
 * Checks an uploaded logo: PNG or JPEG by its content (not by what the client says), within the
 * size and dimension limits, and decodable — it is embedded into certificates of completion, so
 * it is embedded once here, into a throwaway PDF, to prove it can be.
 */
export async function inspectLogo(bytes: Uint8Array): Promise<Omit<LogoInfo, 'sha256'>> {
  if (bytes.length > MAX_LOGO_BYTES) {
    throw new SignetError(
      'LOGO_TOO_LARGE',
      `The logo is ${Math.ceil(bytes.length / 1024)} kB; at most ${MAX_LOGO_BYTES / 1024} kB`,
    );
  }
  let size: { width?: number; height?: number; type?: string };
  try {
    size = imageSize(bytes);
  } catch {
    throw new SignetError('LOGO_UNSUPPORTED', 'The logo must be a PNG or JPEG image');
  }
  const contentType = size.type === 'png' ? 'image/png' : size.type === 'jpg' ? 'image/jpeg' : null;
  if (!contentType) {
    throw new SignetError(
      'LOGO_UNSUPPORTED',
      `The logo must be a PNG or JPEG image, not ${size.type ?? 'this'}`,
    );
  }
  const width = size.width ?? 0;
  const height = size.height ?? 0;
  if (Math.min(width, height) < MIN_LOGO_SIDE || Math.max(width, height) > MAX_LOGO_SIDE) {
    throw new SignetError(
      'LOGO_DIMENSIONS_INVALID',
      `The logo is ${width}×${height} pixels; each side must be ${MIN_LOGO_SIDE} to ${MAX_LOGO_SIDE}`,
    );
  }
  try {
    const probe = await PDFDocument.create();
    if (contentType === 'image/png') await probe.embedPng(bytes);
    else await probe.embedJpg(bytes);
  } catch {
    throw new SignetError('LOGO_UNSUPPORTED', 'The logo cannot be decoded: the image data is damaged');
  }
  return { contentType, width, height };
}

/** Stores the logo in the blob store (encrypted, like documents) and makes it the organisation's. */
export async function storeLogo(
  db: Database,
  blobs: BlobStore,
  organizationId: string,
  bytes: Uint8Array,
): Promise<LogoInfo> {
  const info = await inspectLogo(bytes);
  const { sha256 } = await blobs.put(bytes);
  await db.query(
    `update organizations set logo_sha256 = $2, logo_content_type = $3, logo_width = $4, logo_height = $5
      where id = $1`,
    [organizationId, sha256, info.contentType, info.width, info.height],
  );
  return { sha256, ...info };
}

export async function removeLogo(db: Sql, organizationId: string): Promise<void> {
  await db.query(
    `update organizations set logo_sha256 = null, logo_content_type = null, logo_width = null, logo_height = null
      where id = $1`,
    [organizationId],
  );
}

/** The logo's bytes for the public route, or null when the organisation has none (or no such one). */
export async function readLogo(
  db: Sql,
  blobs: BlobStore,
  organizationId: string,
): Promise<{ bytes: Buffer; contentType: string; sha256: string } | null> {
  const [row] = await db.query<{ logo_sha256: string | null; logo_content_type: string | null }>(
    'select logo_sha256, logo_content_type from organizations where id = $1',
    [organizationId],
  );
  if (!row?.logo_sha256 || !row.logo_content_type) return null;
  return {
    bytes: await blobs.get(row.logo_sha256),
    contentType: row.logo_content_type,
    sha256: row.logo_sha256,
  };
}
