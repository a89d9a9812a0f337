import type { Answer } from '@signet/sdk';
import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { signet } from '../../shared/api.ts';
import { problemMessage } from '../lib/problems.ts';
import { useApiErrors } from '../lib/useApiErrors.ts';
import { useTitle } from '../lib/useTitle.ts';
import { useSession } from '../session.tsx';
import { useBrand } from '../shell/brand.tsx';
import { Alert, Spinner } from '../ui/Alert.tsx';
import { Confirm } from '../ui/Confirm.tsx';
import { useToast } from '../ui/toasts.tsx';
import { EmailTemplates } from './EmailTemplates.tsx';

/*
 * /app/settings: the organisation (GET/PATCH /api/v1/organization) in sections, each saved on
 * its own so a refusal (a colour with too little contrast, a domain another organisation has)
 * is shown beside the fields it is about. An emptied field is sent as null: back to the default.
 * Allowed embedding origins are not part of this route, so they are not edited here.
 */

type Organization = Answer<'/api/v1/organization', 'get'>;
type Patch = {
  name?: string;
  branding?: {
    productName?: string | null;
    primaryColor?: string | null;
    emailSenderName?: string | null;
    replyTo?: string | null;
  };
  consentText?: string | null;
  defaultLanguage?: 'en' | 'de';
  customDomain?: string | null;
  embeddingOrigins?: string[];
  defaults?: {
    expiryDays?: number | null;
    reminders?: { firstAfterDays: number; everyDays: number | null } | null;
    padesLevel?: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
    perSignerSignatures?: boolean;
  };
};
const PADES = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
const DEFAULT_COLOR = '#1f4fd1';

/** An emptied text field: the setting's default. */
const orNull = (value: string) => (value.trim() === '' ? null : value.trim());

export function SettingsPage() {
  const { t } = useTranslation();
  useTitle(t('settings.title'));
  const onError = useApiErrors();
  const [organization, setOrganization] = useState<Organization>();
  const [problem, setProblem] = useState<string>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, on arrival
  useEffect(() => {
    signet()
      .get('/api/v1/organization')
      .then(setOrganization)
      .catch((error: unknown) => {
        onError(error);
        setProblem(problemMessage(error, t));
      });
  }, []);
  if (problem) return <div className="page">{<Alert>{problem}</Alert>}</div>;
  if (!organization) {
    return (
      <div className="page">
        <Spinner label={t('common.loading')} />
      </div>
    );
  }
  return (
    <div className="page stack">
      <h1>{t('settings.title')}</h1>
      <NameSection organization={organization} onSaved={setOrganization} />
      <BrandingSection organization={organization} onSaved={setOrganization} />
      <LogoSection organization={organization} onSaved={setOrganization} />
      <SigningSection organization={organization} onSaved={setOrganization} />
      <DefaultsSection organization={organization} onSaved={setOrganization} />
      <EmailTemplates />
    </div>
  );
}

interface SectionProps {
  organization: Organization;
  onSaved(organization: Organization): void;
}

/** A card with its own form and save button; PATCHes what it holds and says how that went. */
function Section({
  id,
  title,
  children,
  patch,
  onSaved,
}: {
  id: string;
  title: string;
  children: ReactNode;
  patch(): Patch;
  onSaved(organization: Organization): void;
}) {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const saved = await signet().patch('/api/v1/organization', { body: patch() });
      onSaved(saved);
      toast(t('settings.saved'));
    } catch (error) {
      onError(error);
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card settings-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <form className="stack" onSubmit={submit}>
        {children}
        {problem && <Alert>{problem}</Alert>}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? t('settings.saving') : t('settings.save')}
          </button>
        </div>
      </form>
    </section>
  );
}

function TextField({
  label,
  value,
  onChange,
  hint,
  type = 'text',
  id: givenId,
  placeholder,
}: {
  label: string;
  value: string;
  onChange(value: string): void;
  hint?: string;
  type?: string;
  id?: string;
  placeholder?: string;
}) {
  const ownId = useId();
  const id = givenId ?? ownId;
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        placeholder={placeholder}
        aria-describedby={hint ? hintId : undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
    </div>
  );
}

function NameSection({ organization, onSaved }: SectionProps) {
  const { t } = useTranslation();
  const { refresh } = useSession();
  const brand = useBrand();
  const [name, setName] = useState(organization.name);
  return (
    <Section
      id="settings-organization"
      title={t('settings.organization')}
      patch={() => ({ name: name.trim() })}
      onSaved={(saved) => {
        onSaved(saved);
        // The header shows the name (when no product name is set): ask for it again.
        void refresh();
        void brand.refresh();
      }}
    >
      {!organization.nameConfirmed && <Alert tone="info">{t('settings.nameUnconfirmed')}</Alert>}
      <TextField id="organization-name" label={t('settings.name')} value={name} onChange={setName} />
    </Section>
  );
}

function BrandingSection({ organization, onSaved }: SectionProps) {
  const { t } = useTranslation();
  const brand = useBrand();
  const given = organization.branding;
  const [productName, setProductName] = useState(given.productName ?? '');
  const [color, setColor] = useState(given.primaryColor ?? '');
  const [senderName, setSenderName] = useState(given.emailSenderName ?? '');
  const [replyTo, setReplyTo] = useState(given.replyTo ?? '');
  const colorId = useId();
  const pickerId = useId();
  return (
    <Section
      id="settings-branding"
      title={t('settings.branding')}
      patch={() => ({
        branding: {
          productName: orNull(productName),
          primaryColor: orNull(color),
          emailSenderName: orNull(senderName),
          replyTo: orNull(replyTo),
        },
      })}
      onSaved={(saved) => {
        onSaved(saved);
        void brand.refresh();
      }}
    >
      <TextField
        label={t('settings.productName')}
        value={productName}
        onChange={setProductName}
        hint={t('settings.productNameHint', { name: organization.name })}
      />
      <div className="field">
        <label htmlFor={colorId}>{t('settings.primaryColor')}</label>
        <div className="color-row">
          <input
            id={pickerId}
            type="color"
            aria-label={t('settings.colorPicker')}
            value={/^#[0-9a-f]{6}$/i.test(color) ? color : DEFAULT_COLOR}
            onChange={(event) => setColor(event.target.value)}
          />
          <input
            id={colorId}
            value={color}
            placeholder={DEFAULT_COLOR}
            pattern="#[0-9a-fA-F]{6}"
            aria-describedby={`${colorId}-hint`}
            onChange={(event) => setColor(event.target.value)}
          />
        </div>
        <p className="hint" id={`${colorId}-hint`}>
          {t('settings.primaryColorHint')}
        </p>
      </div>
      <TextField
        label={t('settings.emailSenderName')}
        value={senderName}
        onChange={setSenderName}
        hint={t('settings.emailSenderNameHint')}
      />
      <TextField
        label={t('settings.replyTo')}
        type="email"
        value={replyTo}
        onChange={setReplyTo}
        hint={t('settings.replyToHint')}
      />
    </Section>
  );
}

function LogoSection({ organization, onSaved }: SectionProps) {
  const { t } = useTranslation();
  const onError = useApiErrors();
  const toast = useToast();
  const brand = useBrand();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const fileId = useId();
  const logoUrl = brand.brand?.logoUrl ?? organization.branding.logo?.url ?? null;

  const reload = async () => {
    onSaved(await signet().get('/api/v1/organization'));
    await brand.refresh();
  };
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await signet().put('/api/v1/organization/logo', {
        body: file as unknown as string,
        headers: { 'content-type': file.type || 'application/octet-stream' },
        // The image's bytes as they are: the default serializer would write JSON.
        bodySerializer: (body: unknown) => body as Blob,
      } as never);
      await reload();
      toast(t('settings.logoSaved'));
    } catch (error) {
      onError(error);
      setProblem(problemMessage(error, t));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    try {
      await signet().delete('/api/v1/organization/logo');
      await reload();
      toast(t('settings.logoRemoved'));
      return true;
    } catch (error) {
      onError(error);
      toast(problemMessage(error, t), 'error');
      return false;
    }
  };
  return (
    <section className="card settings-section stack" aria-labelledby="settings-logo">
      <h2 id="settings-logo">{t('settings.logo')}</h2>
      {logoUrl ? (
        <img className="logo-preview" src={logoUrl} alt={t('settings.logoAlt')} />
      ) : (
        <p className="hint">{t('settings.noLogo')}</p>
      )}
      <div className="field">
        <label htmlFor={fileId}>{logoUrl ? t('settings.replaceLogo') : t('settings.uploadLogo')}</label>
        <input
          id={fileId}
          type="file"
          accept="image/png,image/jpeg"
          disabled={busy}
          aria-describedby={`${fileId}-hint`}
          onChange={(event) => {
            void upload(event.target.files?.[0]);
            event.target.value = '';
          }}
        />
        <p className="hint" id={`${fileId}-hint`}>
          {t('settings.logoHint')}
        </p>
      </div>
      {problem && <Alert>{problem}</Alert>}
      {logoUrl && (
        <div className="actions">
          <Confirm
            label={t('settings.removeLogo')}
            title={t('settings.removeLogoTitle')}
            description={t('settings.removeLogoDescription')}
            confirm={t('settings.removeLogo')}
            danger
            triggerClassName="button button-danger-outline"
            onConfirm={remove}
          />
        </div>
      )}
    </section>
  );
}

function SigningSection({ organization, onSaved }: SectionProps) {
  const { t } = useTranslation();
  const [consent, setConsent] = useState(organization.consentText ?? '');
  const [language, setLanguage] = useState(organization.defaultLanguage);
  const [domain, setDomain] = useState(organization.customDomain ?? '');
  const [origins, setOrigins] = useState(organization.embeddingOrigins.join('\n'));
  const originsId = useId();
  const consentId = useId();
  const languageId = useId();
  return (
    <Section
      id="settings-signing"
      title={t('settings.signing')}
      patch={() => ({
        consentText: orNull(consent),
        defaultLanguage: language,
        customDomain: orNull(domain),
        embeddingOrigins: origins
          .split(/\s+/)
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
      })}
      onSaved={onSaved}
    >
      <div className="field">
        <label htmlFor={consentId}>{t('settings.consentText')}</label>
        <textarea
          id={consentId}
          rows={4}
          maxLength={4000}
          value={consent}
          placeholder={organization.standardConsentText}
          aria-describedby={`${consentId}-hint`}
          onChange={(event) => setConsent(event.target.value)}
        />
        <p className="hint" id={`${consentId}-hint`}>
          {t('settings.consentTextHint')}
        </p>
      </div>
      <div className="field">
        <label htmlFor={languageId}>{t('settings.defaultLanguage')}</label>
        <select
          id={languageId}
          value={language}
          onChange={(event) => setLanguage(event.target.value as 'en' | 'de')}
        >
          <option value="en">English</option>
          <option value="de">Deutsch</option>
        </select>
      </div>
      <TextField
        label={t('settings.customDomain')}
        value={domain}
        onChange={setDomain}
        placeholder="sign.example.com"
        hint={t('settings.customDomainHint')}
      />
      <div className="field">
        <label htmlFor={originsId}>{t('settings.embeddingOrigins')}</label>
        <textarea
          id={originsId}
          rows={3}
          value={origins}
          placeholder="https://app.example.com"
          aria-describedby={`${originsId}-hint`}
          onChange={(event) => setOrigins(event.target.value)}
        />
        <p className="hint" id={`${originsId}-hint`}>
          {t('settings.embeddingOriginsHint')}
        </p>
      </div>
    </Section>
  );
}

function DefaultsSection({ organization, onSaved }: SectionProps) {
  const { t } = useTranslation();
  const given = organization.defaults;
  const [expiry, setExpiry] = useState(given.expiryDaysIsDefault ? '' : String(given.expiryDays));
  const [remind, setRemind] = useState(given.reminders !== null);
  const [first, setFirst] = useState(String(given.reminders?.firstAfterDays ?? 3));
  const [every, setEvery] = useState(given.reminders?.everyDays ? String(given.reminders.everyDays) : '');
  const [pades, setPades] = useState(given.padesLevel);
  const [perSigner, setPerSigner] = useState(given.perSignerSignatures);
  const padesId = useId();
  const number = (value: string) => (value.trim() === '' ? null : Number(value));
  return (
    <Section
      id="settings-defaults"
      title={t('settings.defaults')}
      patch={() => ({
        defaults: {
          expiryDays: number(expiry),
          reminders: remind ? { firstAfterDays: Number(first) || 1, everyDays: number(every) } : null,
          padesLevel: pades,
          perSignerSignatures: perSigner,
        },
      })}
      onSaved={onSaved}
    >
      <TextField
        label={t('settings.expiryDays')}
        type="number"
        value={expiry}
        onChange={setExpiry}
        placeholder={String(given.expiryDays)}
        hint={t('settings.expiryDaysHint')}
      />
      <label className="checkbox">
        <input type="checkbox" checked={remind} onChange={(event) => setRemind(event.target.checked)} />
        <span>{t('settings.reminders')}</span>
      </label>
      {remind && (
        <div className="grid-2">
          <TextField label={t('settings.firstAfterDays')} type="number" value={first} onChange={setFirst} />
          <TextField
            label={t('settings.everyDays')}
            type="number"
            value={every}
            onChange={setEvery}
            hint={t('settings.everyDaysHint')}
          />
        </div>
      )}
      <div className="field">
        <label htmlFor={padesId}>{t('settings.padesLevel')}</label>
        <select
          id={padesId}
          value={pades}
          aria-describedby={`${padesId}-hint`}
          onChange={(event) => setPades(event.target.value as (typeof PADES)[number])}
        >
          {PADES.map((level) => (
            <option key={level} value={level}>
              {`PAdES ${level}`}
            </option>
          ))}
        </select>
        <p className="hint" id={`${padesId}-hint`}>
          {t('settings.padesHint')}
        </p>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={perSigner} onChange={(event) => setPerSigner(event.target.checked)} />
        <span>{t('settings.perSignerSignatures')}</span>
      </label>
    </Section>
  );
}
