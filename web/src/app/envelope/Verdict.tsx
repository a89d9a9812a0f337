import type { VerificationReport } from '@signet/sdk';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { signet } from '../../shared/api.ts';
import { useFormat } from '../lib/format.ts';
import { problemMessage } from '../lib/problems.ts';
import { Alert, Spinner } from '../ui/Alert.tsx';

/**
 * What `signet verify` would say of the sealed PDF: the file is fetched and sent to
 * POST /api/v1/verify, the same validator anyone may ask, and its verdict shown per signature.
 */
export function Verdict({ envelopeId }: { envelopeId: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const [report, setReport] = useState<VerificationReport>();
  const [problem, setProblem] = useState<{ error: unknown }>();

  useEffect(() => {
    let current = true;
    (async () => {
      const pdf = await signet().downloadSealedPdf(envelopeId);
      const answer = await signet().post('/api/v1/verify', {
        body: new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }),
        headers: { 'content-type': 'application/pdf' },
        // The bytes as they are: the default serializer would write JSON.
        bodySerializer: (body) => body,
      });
      if (current) setReport(answer);
    })().catch((error: unknown) => {
      if (current) setProblem({ error });
    });
    return () => {
      current = false;
    };
  }, [envelopeId]);

  return (
    <section className="verdict" aria-labelledby="verdict-heading" aria-live="polite">
      <h3 id="verdict-heading">{t('verdict.title')}</h3>
      {problem && <Alert>{problemMessage(problem.error, t)}</Alert>}
      {!report && !problem && <Spinner label={t('verdict.checking')} />}
      {report && (
        <>
          <p className={`verdict-line verdict-${report.verdict}`}>
            <strong>{t(`verdict.overall.${report.verdict}`)}</strong>
          </p>
          <p className="hint">
            {report.sealedBySignet?.envelopeId === envelopeId
              ? t('verdict.sealedHere')
              : t('verdict.notSealedHere')}
          </p>
          <ul className="plain verdict-signatures">
            {report.signatures.map((signature) => (
              <li key={signature.fieldName}>
                <span className={`verdict-dot verdict-${signature.verdict}`} aria-hidden="true" />
                {t(`verdict.kind.${signature.kind}`)}
                {signature.signer?.commonName && ` — ${signature.signer.commonName}`}
                {signature.padesLevel && ` · PAdES ${signature.padesLevel}`}
                {signature.timestamp &&
                  ` · ${t('verdict.timestamped', { date: format.dateTime(signature.timestamp.time) })}`}
                {': '}
                {t(`verdict.signature.${signature.verdict}`)}
              </li>
            ))}
          </ul>
          {report.findings
            .filter((f) => f.severity === 'error' || f.severity === 'indeterminate')
            .map((finding) => (
              <p key={finding.code} className="hint">
                {finding.message}
              </p>
            ))}
        </>
      )}
    </section>
  );
}
