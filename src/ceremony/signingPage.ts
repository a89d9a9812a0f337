import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { htmlAnswer } from '../http/contract.ts';
import { rateLimited, SIGNER_RATE_LIMITS } from '../http/rateLimits.ts';
import { tokenParams } from './schema.ts';

/**
 * The page a signing link opens: a small, accessible, server-served page that drives the
 * signer API (open, consent, fill text and checkbox fields, adopt a typed signature, finish or
 * decline). It is deliberately plain — the full web ceremony (document view with field
 * overlays, drawn signatures, localisation) is a separate piece of work — but it is real: a
 * recipient who clicks the link in their mail can complete their part with it.
 */
export async function signingPageRoutes(app: FastifyInstance) {
  const schema = {
    tags: ['browser'],
    summary: 'The signing page a recipient’s link opens',
    params: tokenParams,
    response: { 200: htmlAnswer('The signing page') },
  };
  app.get(
    '/sign/:token',
    { onRequest: rateLimited(app, ...SIGNER_RATE_LIMITS), schema },
    async (_request, reply) => {
      const nonce = randomBytes(16).toString('base64');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header(
          'content-security-policy',
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'`,
        )
        .send(page(nonce));
    },
  );
}

const page = (nonce: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Review and sign</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; color: #1a1a1a; margin: 0; background: #f5f6f8; }
  main { max-width: 42rem; margin: 0 auto; padding: 1.5rem; background: #fff; min-height: 100vh; }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
  fieldset { border: 1px solid #c8ccd4; border-radius: 6px; margin: 1rem 0; padding: .75rem 1rem; }
  label { display: block; margin: .5rem 0 .25rem; font-weight: 600; }
  input[type=text], textarea { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid #6b7280; border-radius: 4px; }
  input[type=checkbox] { width: 1.25rem; height: 1.25rem; vertical-align: middle; margin-right: .5rem; }
  button { font: inherit; padding: .6rem 1.2rem; border-radius: 4px; border: 2px solid #1f4fd1; background: #1f4fd1; color: #fff; cursor: pointer; margin: .5rem .5rem 0 0; }
  button.secondary { background: #fff; color: #1f4fd1; }
  button:focus, input:focus, textarea:focus, a:focus { outline: 3px solid #f5a300; outline-offset: 2px; }
  .error { color: #a40000; background: #fdecec; padding: .5rem .75rem; border-radius: 4px; }
  .done { color: #0a5d1f; background: #e7f6ea; padding: .5rem .75rem; border-radius: 4px; }
  .muted { color: #4b5563; font-size: .9rem; }
</style>
</head>
<body>
<main id="app" aria-live="polite"><p>Loading your document…</p></main>
<script nonce="${nonce}">
(() => {
  const token = location.pathname.split('/').pop();
  const api = '/api/v1/signing/' + encodeURIComponent(token);
  const app = document.getElementById('app');
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') node.textContent = v; else if (k.startsWith('on')) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  };
  const call = async (method, path, body) => {
    const response = await fetch(api + path, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(data.detail || 'Something went wrong'), { problem: data });
    return data;
  };
  const showError = (error) => {
    const list = (error.problem && error.problem.errors) || [];
    const box = el('div', { class: 'error', role: 'alert', tabindex: '-1' }, el('p', { text: error.message }));
    if (list.length) box.append(el('ul', {}, ...list.map((e) => el('li', { text: e.message }))));
    document.getElementById('status').replaceChildren(box);
    box.focus();
  };
  const describe = (field) => ({ text: 'Text', checkbox: 'Checkbox' }[field.type] || field.type) + ' on page ' + field.page;

  function render(s) {
    const parts = [
      el('h1', { text: s.envelope.title }),
      el('p', { class: 'muted', text: 'From ' + (s.envelope.organizationName || 'the sender') + ' to ' + s.recipient.name + ' <' + s.recipient.email + '>' }),
    ];
    if (s.envelope.message) parts.push(el('p', { text: s.envelope.message }));
    if (!s.identityVerified && s.envelope.status === 'sent' && s.recipient.status !== 'completed' && s.recipient.status !== 'declined') {
      parts.push(el('div', { id: 'status' }), ...identitySteps(s));
      app.replaceChildren(...parts);
      return;
    }
    parts.push(el('h2', { text: 'Documents' }), el('ul', {}, ...s.documents.map((d) =>
      el('li', {}, el('a', { href: api + '/documents/' + d.id, target: '_blank', rel: 'noopener', text: d.name + ' (' + d.pages + ' page' + (d.pages === 1 ? '' : 's') + ')' })))));
    parts.push(el('div', { id: 'status' }));
    if (!s.actions.canSign) {
      const state = s.recipient.status === 'completed' ? 'You have completed your part.' : 'This envelope is ' + s.envelope.status + '.';
      parts.push(el('p', { class: 'done', text: state }));
      if (s.actions.canDownloadCompleted) parts.push(el('p', {}, el('a', { href: api + '/download', text: 'Download the signed document' })));
      app.replaceChildren(...parts);
      return;
    }
    const inputs = [];
    const form = el('form', { novalidate: '' });
    const fillable = s.fields.filter((f) => f.type === 'text' || f.type === 'checkbox');
    if (fillable.length) {
      const set = el('fieldset', {}, el('legend', { text: 'Fill in' }));
      fillable.forEach((f, i) => {
        const id = 'field-' + i;
        if (f.type === 'checkbox') {
          const box = el('input', { type: 'checkbox', id });
          if (f.value === true) box.checked = true;
          inputs.push(() => [f.id, box.checked]);
          set.append(el('p', {}, box, el('label', { for: id, style: 'display:inline', text: describe(f) + (f.required ? ' (required)' : '') })));
        } else {
          const input = el('input', { type: 'text', id, maxlength: '2000' });
          if (f.required) input.setAttribute('aria-required', 'true');
          input.value = typeof f.value === 'string' ? f.value : '';
          inputs.push(() => [f.id, input.value]);
          set.append(el('label', { for: id, text: describe(f) + (f.required ? ' (required)' : '') }), input);
        }
      });
      form.append(set);
    }
    let typed;
    if (s.recipient.role === 'signer') {
      typed = el('input', { type: 'text', id: 'signature', autocomplete: 'name', maxlength: '200' });
      typed.value = s.recipient.name;
      form.append(el('fieldset', {}, el('legend', { text: 'Your signature' }),
        el('label', { for: 'signature', text: 'Type your full name to adopt it as your signature' }), typed));
    }
    const consent = el('input', { type: 'checkbox', id: 'consent' });
    if (s.recipient.consentedAt) consent.checked = true;
    form.append(el('fieldset', {}, el('legend', { text: 'Consent' }), el('p', {}, consent, el('label', { for: 'consent', style: 'display:inline', text: s.consent.text }))));
    const verb = s.recipient.role === 'signer' ? 'Sign' : s.recipient.role === 'approver' ? 'Approve' : 'Confirm';
    form.append(
      el('button', { type: 'submit', text: verb + ' and finish' }),
      el('button', { type: 'button', class: 'secondary', text: 'Decline', onclick: () => decline(s) }),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        if (!consent.checked) throw new Error('Tick the consent box to sign electronically.');
        if (!s.recipient.consentedAt) await call('POST', '/consent', {});
        if (inputs.length) await call('PUT', '/fields', { values: Object.fromEntries(inputs.map((read) => read())) });
        const body = typed ? { signature: { kind: 'typed', text: typed.value } } : {};
        render(await call('POST', '/finish', body));
      } catch (error) { showError(error); }
    });
    parts.push(form);
    app.replaceChildren(...parts);
  }

  // Before the documents: every identity check the sender asked for (SPEC §E).
  function identitySteps(s) {
    const steps = [el('h2', { text: 'Verify your identity' }),
      el('p', { text: 'The sender asks you to prove who you are before you see the documents.' })];
    const refresh = async () => { try { render(await call('GET', '')); } catch (error) { showError(error); } };
    const codeForm = (label, path, id) => {
      const input = el('input', { type: 'text', id, inputmode: id === 'otp' ? 'numeric' : 'text', autocomplete: 'one-time-code', maxlength: '64' });
      const form = el('form', { novalidate: '' }, el('label', { for: id, text: label }), input, el('button', { type: 'submit', text: 'Verify' }));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try { await call('POST', path, { code: input.value }); await refresh(); } catch (error) { showError(error); }
      });
      return form;
    };
    for (const check of s.identity) {
      if (check.status === 'passed') {
        steps.push(el('p', { class: 'done', text: ({ email: 'Email link', accessCode: 'Access code', otp: 'One-time code', saml: 'Identity provider', oidc: 'Account sign-in' }[check.kind] || check.kind) + ': verified' }));
        continue;
      }
      if (check.status === 'locked') {
        steps.push(el('p', { class: 'error', text: 'Too many wrong codes: this check is locked. Ask the sender to unlock it.' }));
        continue;
      }
      const set = el('fieldset', {});
      if (check.kind === 'accessCode') {
        set.append(el('legend', { text: 'Access code' }), codeForm('Enter the access code the sender gave you', '/identity/access-code', 'access-code'));
      } else if (check.kind === 'otp') {
        const where = check.channel === 'sms' ? 'by text message to ' + (check.sentTo || 'your phone') : 'by email';
        const send = el('button', { type: 'button', class: 'secondary', text: check.codeSent ? 'Send a new code' : 'Send me a code', onclick: async () => {
          try { await call('POST', '/identity/otp/send', {}); await refresh(); } catch (error) { showError(error); }
        } });
        set.append(el('legend', { text: 'One-time code' }), el('p', { text: 'We send a six-digit code ' + where + '.' }), send);
        if (check.codeSent) set.append(codeForm('Enter the code', '/identity/otp/verify', 'otp'));
      } else if (check.kind === 'oidc') {
        set.append(el('legend', { text: 'Sign in to verify' }),
          el('p', { text: check.reason && check.reason !== 'OIDC_IN_PROGRESS' ? 'The last attempt did not succeed (' + check.reason + '). You can try again.' : 'Sign in with your account at the provider the sender chose.' }),
          el('p', {}, el('a', { href: api + '/identity/oidc/start', target: '_blank', rel: 'noopener', text: 'Sign in to verify your identity' })),
          el('button', { type: 'button', class: 'secondary', text: 'I have verified, continue', onclick: refresh }));
      } else if (check.kind === 'saml') {
        set.append(el('legend', { text: 'Identity provider' }),
          el('p', { text: check.reason && check.reason !== 'SAML_IN_PROGRESS' ? 'The last attempt did not succeed (' + check.reason + '). You can try again.' : 'Sign in with your identity provider to prove who you are.' }),
          el('p', {}, el('a', { href: api + '/identity/saml/start', target: '_blank', rel: 'noopener', text: 'Verify with your identity provider' })),
          el('button', { type: 'button', class: 'secondary', text: 'I have verified, continue', onclick: refresh }));
      }
      steps.push(set);
    }
    return steps;
  }

  function decline(s) {
    const reason = el('textarea', { id: 'reason', rows: '3', required: '' });
    const form = el('form', {}, el('label', { for: 'reason', text: 'Why are you declining? The sender will see this.' }), reason,
      el('button', { type: 'submit', text: 'Decline to sign' }),
      el('button', { type: 'button', class: 'secondary', text: 'Back', onclick: () => render(s) }));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try { render(await call('POST', '/decline', { reason: reason.value })); } catch (error) { showError(error); }
    });
    app.replaceChildren(el('h1', { text: 'Decline ' + s.envelope.title }), el('div', { id: 'status' }), form);
    reason.focus();
  }

  call('GET', '').then(render, (error) => {
    app.replaceChildren(el('h1', { text: 'This link cannot be used' }), el('div', { id: 'status' }));
    showError(error);
  });
})();
</script>
</body>
</html>
`;
