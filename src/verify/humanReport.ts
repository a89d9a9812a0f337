import type { Finding, SignatureReport, VerificationReport } from './report.ts';

/** The report as a person reads it in a terminal: verdicts first, then the reasons. */
export function formatReport(report: VerificationReport, fileName: string): string {
  const lines = [
    `${fileName}: ${report.verdict.toUpperCase()}`,
    `  sha256 ${report.sha256}, ${report.size} bytes, ${report.revisions} revision(s)`,
    `  validated as of ${report.validationTime}`,
  ];
  if (report.sealedBySignet)
    lines.push(`  sealed by this Signet installation for envelope ${report.sealedBySignet.envelopeId}`);
  for (const f of report.findings) lines.push(`  ${marker(f)} ${f.message}`);
  report.signatures.forEach((signature, index) => {
    lines.push('', ...formatSignature(signature, index + 1));
  });
  return `${lines.join('\n')}\n`;
}

function formatSignature(s: SignatureReport, number: number): string[] {
  const kind = s.kind === 'document-timestamp' ? 'Document time-stamp' : 'Signature';
  const lines = [
    `${kind} #${number} '${s.fieldName}': ${s.verdict.toUpperCase()}${s.padesLevel ? ` (PAdES ${s.padesLevel})` : ''}`,
  ];
  if (s.signer) {
    const email = s.signer.email ? ` <${s.signer.email}>` : '';
    lines.push(
      `  signer:    ${s.signer.commonName ?? s.signer.subject}${email}, issued by ${s.signer.issuer}, serial ${s.signer.serialNumber}`,
    );
  }
  if (s.subFilter) lines.push(`  format:    ${s.subFilter}`);
  if (s.claimedTime) lines.push(`  claimed:   ${s.claimedTime} (/M, not proven)`);
  if (s.timestamp) {
    lines.push(
      `  time:      ${s.timestamp.time} by ${s.timestamp.tsaName}${s.timestamp.trusted ? '' : ' (TSA not trusted)'}`,
    );
    const control = s.timestamp.controlTime;
    if (control) {
      const source =
        control.source === 'document-timestamp'
          ? `proven by document time-stamp '${control.fieldName}'`
          : 'the validation time';
      lines.push(`             its TSA's chain checked again at ${control.time} (${source})`);
    }
  }
  const i = s.integrity;
  lines.push(
    `  integrity: ${i.byteRangeValid && i.digestMatches && i.signatureValid ? 'intact' : 'BROKEN'} (byte range ${ok(i.byteRangeValid)}, digest ${ok(i.digestMatches)}, signature ${ok(i.signatureValid)})`,
  );
  if (s.chain) {
    lines.push(
      `  trust:     ${s.chain.trusted ? 'chains to a trusted root' : 'NOT trusted'}, checked at ${s.chain.checkedAt} (${s.chain.checkedAtSource})`,
    );
    for (const r of s.chain.revocation)
      lines.push(
        `  revocation: ${r.status}${r.source ? ` (${r.kind}, ${r.source})` : ''} — ${r.certificate}`,
      );
  }
  const c = s.coverage;
  const signed = c.signedRevision
    ? `revision ${c.signedRevision} of ${c.totalRevisions}`
    : 'no whole revision';
  lines.push(
    `  coverage:  signs ${signed}${c.coversWholeFile ? ', the whole file' : ''}; later changes: ${c.modifications}`,
  );
  for (const change of c.changes) {
    lines.push(
      `    rev ${change.revision} ${change.allowed ? 'allowed    ' : 'NOT ALLOWED'} [${change.rule}] ${change.message}`,
    );
  }
  for (const f of s.findings) lines.push(`  ${marker(f)} ${f.message}`);
  return lines;
}

const ok = (value: boolean) => (value ? 'ok' : 'FAILED');

function marker(f: Finding): string {
  switch (f.severity) {
    case 'error':
      return '✗';
    case 'indeterminate':
      return '?';
    case 'warning':
      return '!';
    case 'info':
      return '·';
  }
}
