import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SignetError } from '../errors.ts';
import { htmlAnswer } from './contract.ts';
import { signetRoot } from './signetRoot.ts';

/*
 * The web app (web/, React + Vite) as Fastify serves it: the built pages from web/dist and
 * their content-hashed assets, cached for a year. The sender workspace is one page whose
 * router owns /app/…; the signing ceremony is its own page (sign.html) with its own bundle.
 */

/** Where `npm install` (prepare) put the built app: web/dist beside Signet's package.json. */
export function webDistFolder(): string | undefined {
  const root = signetRoot();
  return root ? fileURLToPath(new URL('web/dist/', root.folder)) : undefined;
}

/**
 * What the app's pages may load: only this origin's scripts (no inline script, no eval), the
 * pdf.js worker from a blob or this origin, page images drawn to canvases and data: URLs.
 * React sets style attributes, hence 'unsafe-inline' for styles only.
 */
export const APP_PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export interface WebPages {
  /** The page's HTML, or undefined when the app was not built. */
  page(name: 'app' | 'sign'): string | undefined;
}

/** Reads the built pages once; a checkout without web/dist says how to build it. */
export function loadWebPages(folder = webDistFolder()): WebPages {
  const cache = new Map<string, string>();
  return {
    page(name) {
      if (!folder) return undefined;
      const cached = cache.get(name);
      if (cached) return cached;
      const file = `${folder}${name}.html`;
      if (!existsSync(file)) return undefined;
      const html = readFileSync(file, 'utf8');
      cache.set(name, html);
      return html;
    },
  };
}

export interface WebPageOptions {
  /** The Referrer-Policy; same-origin unless the page needs stricter (a signing link's token). */
  referrerPolicy?: string;
  /**
   * `<meta name content>` pairs added to the page's head: facts the server knows before the
   * page's script runs (and before any API call could fail), such as who may frame it.
   */
  meta?: Record<string, string>;
}

export function sendWebPage(
  reply: FastifyReply,
  pages: WebPages,
  name: 'app' | 'sign',
  policy = APP_PAGE_POLICY,
  options: WebPageOptions = {},
) {
  const html = pages.page(name);
  if (!html) {
    throw new SignetError('WEB_APP_NOT_BUILT', 'The web app is not built here: run `npm run build`.');
  }
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', options.referrerPolicy ?? 'same-origin')
    .header('content-security-policy', policy)
    .send(withMeta(html, options.meta ?? {}));
}

const escapeAttribute = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function withMeta(html: string, meta: Record<string, string>): string {
  const tags = Object.entries(meta)
    .map(([name, content]) => `<meta name="${escapeAttribute(name)}" content="${escapeAttribute(content)}">`)
    .join('');
  return tags ? html.replace('</head>', `${tags}</head>`) : html;
}

export async function webAppRoutes(app: FastifyInstance, folder = webDistFolder()) {
  const pages = loadWebPages(folder);
  if (folder && existsSync(`${folder}assets`)) {
    await app.register(fastifyStatic, {
      root: `${folder}assets`,
      prefix: '/assets/',
      schemaHide: true,
      index: false,
      wildcard: true,
      immutable: true,
      maxAge: '365d',
    });
  }
  const schema = {
    tags: ['browser'],
    summary: 'The sender workspace (the web app; its router owns every /app path)',
    response: { 200: htmlAnswer('The web app') },
  };
  const serveApp = async (_request: unknown, reply: FastifyReply) => sendWebPage(reply, pages, 'app');
  app.get('/', { schema }, serveApp);
  app.get('/login', { schema }, serveApp);
  app.get('/app', { schema }, serveApp);
  app.get('/app/*', { schema }, serveApp);
}
