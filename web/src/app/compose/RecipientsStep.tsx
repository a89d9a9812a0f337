import type { CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import {
  colourOf,
  type Draft,
  type DraftRecipient,
  type IdentityDraft,
  newRecipient,
  ROLES,
  SAML_LEVELS,
} from './model.ts';

/**
 * Who receives the envelope: name, email, role, routing order (equal numbers act in parallel,
 * lower numbers first) and the identity checks each must pass, as the API offers them.
 */
export function RecipientsStep({
  draft,
  update,
}: {
  draft: Draft;
  update(change: (d: Draft) => Draft): void;
}) {
  const { t } = useTranslation();
  const set = (key: string, change: (r: DraftRecipient) => DraftRecipient) =>
    update((d) => ({ ...d, recipients: d.recipients.map((r) => (r.key === key ? change(r) : r)) }));
  const remove = (key: string) =>
    update((d) => ({
      ...d,
      recipients: d.recipients.filter((r) => r.key !== key),
      fields: d.fields.filter((f) => f.recipientKey !== key),
    }));
  const add = () =>
    update((d) => {
      const last = Math.max(0, ...d.recipients.map((r) => r.routingOrder));
      return { ...d, recipients: [...d.recipients, newRecipient(last + 1)] };
    });

  return (
    <div className="stack">
      <p className="hint">{t('compose.recipients.intro')}</p>
      <ol className="recipient-list">
        {draft.recipients.map((recipient, index) => (
          <li key={recipient.key}>
            <RecipientCard
              recipient={recipient}
              index={index}
              onChange={(change) => set(recipient.key, change)}
              onRemove={draft.recipients.length > 1 ? () => remove(recipient.key) : undefined}
              hasFields={draft.fields.some((f) => f.recipientKey === recipient.key)}
            />
          </li>
        ))}
      </ol>
      <button type="button" className="button button-secondary align-start" onClick={add}>
        {t('compose.recipients.add')}
      </button>
    </div>
  );
}

function RecipientCard({
  recipient,
  index,
  onChange,
  onRemove,
  hasFields,
}: {
  recipient: DraftRecipient;
  index: number;
  onChange(change: (r: DraftRecipient) => DraftRecipient): void;
  onRemove?: () => void;
  hasFields: boolean;
}) {
  const { t } = useTranslation();
  const id = (part: string) => `${recipient.key}-${part}`;
  const identity = recipient.identity;
  const setIdentity = (change: (i: IdentityDraft) => IdentityDraft) =>
    onChange((r) => ({ ...r, identity: change(r.identity) }));
  const legend = t('compose.recipients.number', { number: index + 1 });
  return (
    <fieldset className="recipient-card" style={{ '--colour': colourOf(index) } as CSSProperties}>
      <legend>
        <span className="swatch" aria-hidden="true" /> {legend}
        {recipient.name.trim() && <span className="hint"> — {recipient.name.trim()}</span>}
      </legend>
      <div className="grid-2">
        <div className="field">
          <label htmlFor={id('name')}>{t('compose.recipients.name')}</label>
          <input
            id={id('name')}
            autoComplete="off"
            required
            maxLength={200}
            value={recipient.name}
            onChange={(event) => onChange((r) => ({ ...r, name: event.target.value }))}
          />
        </div>
        <div className="field">
          <label htmlFor={id('email')}>{t('compose.recipients.email')}</label>
          <input
            id={id('email')}
            type="email"
            autoComplete="off"
            required
            maxLength={254}
            value={recipient.email}
            onChange={(event) => onChange((r) => ({ ...r, email: event.target.value }))}
          />
        </div>
        <div className="field">
          <label htmlFor={id('role')}>{t('compose.recipients.role')}</label>
          <select
            id={id('role')}
            value={recipient.role}
            aria-describedby={id('role-hint')}
            onChange={(event) =>
              onChange((r) => ({ ...r, role: event.target.value as DraftRecipient['role'] }))
            }
          >
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {t(`roles.${role}`)}
              </option>
            ))}
          </select>
          <p id={id('role-hint')} className="hint">
            {t(`compose.recipients.roleHint.${recipient.role}`)}
            {hasFields && recipient.role !== 'signer' && ` ${t('compose.recipients.fieldsDropped')}`}
          </p>
        </div>
        <div className="field">
          <label htmlFor={id('order')}>{t('compose.recipients.order')}</label>
          <input
            id={id('order')}
            type="number"
            inputMode="numeric"
            min={1}
            max={1000}
            value={recipient.routingOrder}
            aria-describedby={id('order-hint')}
            onChange={(event) =>
              onChange((r) => ({
                ...r,
                routingOrder: Math.min(1000, Math.max(1, Number(event.target.value) || 1)),
              }))
            }
          />
          <p id={id('order-hint')} className="hint">
            {t('compose.recipients.orderHint')}
          </p>
        </div>
      </div>
      {recipient.role !== 'cc' && (
        <details className="identity">
          <summary>
            {t('compose.identity.title')} <span className="hint">({identitySummary(identity, t)})</span>
          </summary>
          <div className="stack-tight">
            <label className="checkbox">
              <input
                type="checkbox"
                checked={identity.email}
                onChange={(event) => setIdentity((i) => ({ ...i, email: event.target.checked }))}
              />
              {t('compose.identity.email')}
            </label>
            <label className="checkbox">
              <input
                type="checkbox"
                checked={identity.accessCode.on}
                onChange={(event) =>
                  setIdentity((i) => ({ ...i, accessCode: { ...i.accessCode, on: event.target.checked } }))
                }
              />
              {t('compose.identity.accessCode')}
            </label>
            {identity.accessCode.on && (
              <div className="field nested">
                <label htmlFor={id('code')}>{t('compose.identity.code')}</label>
                <input
                  id={id('code')}
                  autoComplete="off"
                  minLength={4}
                  maxLength={64}
                  value={identity.accessCode.code}
                  aria-describedby={id('code-hint')}
                  onChange={(event) =>
                    setIdentity((i) => ({ ...i, accessCode: { ...i.accessCode, code: event.target.value } }))
                  }
                />
                <p id={id('code-hint')} className="hint">
                  {t('compose.identity.codeHint')}
                </p>
              </div>
            )}
            <label className="checkbox">
              <input
                type="checkbox"
                checked={identity.otp.on}
                onChange={(event) =>
                  setIdentity((i) => ({ ...i, otp: { ...i.otp, on: event.target.checked } }))
                }
              />
              {t('compose.identity.otp')}
            </label>
            {identity.otp.on && (
              <div className="nested stack-tight">
                <fieldset className="inline-choices">
                  <legend>{t('compose.identity.channel')}</legend>
                  {(['email', 'sms'] as const).map((channel) => (
                    <label key={channel} className="checkbox">
                      <input
                        type="radio"
                        name={id('channel')}
                        checked={identity.otp.channel === channel}
                        onChange={() => setIdentity((i) => ({ ...i, otp: { ...i.otp, channel } }))}
                      />
                      {t(`compose.identity.channels.${channel}`)}
                    </label>
                  ))}
                </fieldset>
                {identity.otp.channel === 'sms' && (
                  <div className="field">
                    <label htmlFor={id('phone')}>{t('compose.identity.phone')}</label>
                    <input
                      id={id('phone')}
                      type="tel"
                      autoComplete="off"
                      placeholder="+447700900123"
                      value={identity.otp.phone}
                      aria-describedby={id('phone-hint')}
                      onChange={(event) =>
                        setIdentity((i) => ({ ...i, otp: { ...i.otp, phone: event.target.value } }))
                      }
                    />
                    <p id={id('phone-hint')} className="hint">
                      {t('compose.identity.phoneHint')}
                    </p>
                  </div>
                )}
              </div>
            )}
            <label className="checkbox">
              <input
                type="checkbox"
                checked={identity.saml.on}
                onChange={(event) =>
                  setIdentity((i) => ({ ...i, saml: { ...i.saml, on: event.target.checked } }))
                }
              />
              {t('compose.identity.saml')}
            </label>
            {identity.saml.on && (
              <div className="field nested">
                <label htmlFor={id('level')}>{t('compose.identity.minLevel')}</label>
                <select
                  id={id('level')}
                  value={identity.saml.minLevel}
                  onChange={(event) =>
                    setIdentity((i) => ({
                      ...i,
                      saml: { ...i.saml, minLevel: event.target.value as IdentityDraft['saml']['minLevel'] },
                    }))
                  }
                >
                  <option value="">{t('compose.identity.anyLevel')}</option>
                  {SAML_LEVELS.map((level) => (
                    <option key={level} value={level}>
                      {t('compose.identity.level', { level: level.replace('level', '') })}
                    </option>
                  ))}
                </select>
              </div>
            )}
            <label className="checkbox">
              <input
                type="checkbox"
                checked={identity.oidc.on}
                onChange={(event) =>
                  setIdentity((i) => ({ ...i, oidc: { ...i.oidc, on: event.target.checked } }))
                }
              />
              {t('compose.identity.oidc')}
            </label>
            {identity.oidc.on && (
              <label className="checkbox nested">
                <input
                  type="checkbox"
                  checked={identity.oidc.matchEmail}
                  onChange={(event) =>
                    setIdentity((i) => ({ ...i, oidc: { ...i.oidc, matchEmail: event.target.checked } }))
                  }
                />
                {t('compose.identity.matchEmail')}
              </label>
            )}
            <p className="hint">{t('compose.identity.providersHint')}</p>
          </div>
        </details>
      )}
      {onRemove && (
        <button type="button" className="button button-small button-danger" onClick={onRemove}>
          {t('compose.recipients.remove', { name: recipient.name.trim() || legend })}
        </button>
      )}
    </fieldset>
  );
}

function identitySummary(identity: IdentityDraft, t: (key: string) => string): string {
  const on = [
    identity.email && t('compose.identity.short.email'),
    identity.accessCode.on && t('compose.identity.short.accessCode'),
    identity.otp.on && t(`compose.identity.short.otp_${identity.otp.channel}`),
    identity.saml.on && t('compose.identity.short.saml'),
    identity.oidc.on && t('compose.identity.short.oidc'),
  ].filter(Boolean);
  return on.length > 0 ? on.join(', ') : t('compose.identity.short.none');
}
