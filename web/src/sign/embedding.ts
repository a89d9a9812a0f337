/*
 * Embedded signing (SPEC §B): inside an integrator's frame the ceremony tells the page around
 * it what happened — signet:loaded, signet:signed, signet:declined, signet:error — with
 * postMessage to that page's origin only, never '*': the server names the origins the
 * organisation allows in a meta tag (the same list as the page's frame-ancestors), and the
 * message goes to the one that frames us, or nowhere.
 */

export type EmbeddingEvent = 'signet:loaded' | 'signet:signed' | 'signet:declined' | 'signet:error';

const META = 'signet-frame-origins';

export function allowedFrameOrigins(): string[] {
  const content = document.querySelector<HTMLMetaElement>(`meta[name="${META}"]`)?.content;
  try {
    const parsed: unknown = content ? JSON.parse(content) : [];
    return Array.isArray(parsed) ? parsed.filter((o): o is string => typeof o === 'string') : [];
  } catch {
    return [];
  }
}

/** The origin of the page that frames this one, when it is one the organisation allows. */
export function parentOrigin(): string | undefined {
  if (window.parent === window) return undefined;
  const candidates = [window.location.ancestorOrigins?.[0], originOf(document.referrer)];
  const allowed = allowedFrameOrigins();
  return candidates.find((origin): origin is string => origin !== undefined && allowed.includes(origin));
}

function originOf(url: string): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

export const isFramed = () => window.parent !== window;

/** Tells the framing page, if it is allowed to hear it; the payload never holds the link's token. */
export function notifyParent(type: EmbeddingEvent, detail: Record<string, unknown> = {}) {
  const target = parentOrigin();
  if (!target) return;
  window.parent.postMessage({ type, ...detail }, target);
}
