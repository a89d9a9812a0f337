import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';
import pino from 'pino';
import ts from 'typescript';
import { loadConfig } from '../src/config/config.ts';
import { startSignet } from '../src/main.ts';

/*
 * What the SDK (sdk/) is generated from, and how: the OpenAPI document the routes produce,
 * without the server-specific parts, and the TypeScript types openapi-typescript makes of it.
 * `npm run sdk:generate` (bin/sdkGenerate.ts) writes both into sdk/; test/sdk/drift.test.ts
 * compares the committed files with what the server produces now, so the SDK cannot drift from
 * the routes.
 */

export const SDK_DIR = new URL('../sdk/', import.meta.url);
export const SDK_DOCUMENT = new URL('openapi.json', SDK_DIR);
export const SDK_TYPES = new URL('src/schema.ts', SDK_DIR);

/**
 * The served document as the SDK keeps it: `servers` names the installation that answered (its
 * PUBLIC_URL), which an SDK user gives as `baseUrl` instead, so it is left out.
 */
export function sdkDocument(served: unknown): OpenAPI3 {
  const { servers: _servers, ...document } = served as OpenAPI3;
  return document;
}

/** The document's text as committed: two-space JSON, one newline at the end. */
export function documentText(document: OpenAPI3): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The SDK's types, as openapi-typescript writes them; binary strings (files) are Blobs. */
export async function sdkTypesText(document: OpenAPI3): Promise<string> {
  const ast = await openapiTS(structuredClone(document), {
    silent: true,
    // A property with a default may be left out of a request (the server fills it in); answers
    // list their properties as required anyway, so nothing is lost there.
    defaultNonNullable: false,
    // A multipart file part or a binary answer: `Blob` (a `File` or a `Blob` in a FormData).
    transform(schema) {
      if (schema.type === 'string' && schema.format === 'binary') {
        return ts.factory.createTypeReferenceNode('Blob');
      }
      return undefined;
    },
  });
  return `${COMMENT_HEADER.replace(
    'Do not make direct changes to the file.',
    'Do not make direct changes to the file: run `npm run sdk:generate` in the repository root.',
  )}${astToString(ast)}`;
}

/** The document of a running app's routes (app.swagger(), as GET /api/v1/openapi.json serves it). */
export function servedDocument(app: FastifyInstance): unknown {
  return app.swagger();
}

/**
 * Starts Signet without listening (a scratch data directory, PGlite, no first organisation),
 * reads its document and stops it again.
 */
export async function currentServerDocument(): Promise<OpenAPI3> {
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-sdk-generate-'));
  try {
    const config = loadConfig({
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      PUBLIC_URL: 'http://localhost:3000',
      LOG_LEVEL: 'silent',
    });
    const signet = await startSignet(config, {
      logger: pino({ level: 'silent' }),
      bootstrap: false,
      listen: false,
    });
    try {
      return sdkDocument(servedDocument(signet.app));
    } finally {
      await signet.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
