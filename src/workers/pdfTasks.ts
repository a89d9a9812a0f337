import type { MessagePort } from 'node:worker_threads';
import { type ErrorCode, SignetError } from '../errors.ts';
import { type ComposeInput, composeCompletedPdf } from '../pdf/compose.ts';
import { inspectUploadedPdf, type UploadedPdfInfo } from '../pdf/inspect.ts';
import { PdfBudget, type PdfLimits } from '../pdf/limits/pdfBudget.ts';
import type { VerificationReport } from '../verify/report.ts';
import { verifyPdf } from '../verify/verifyPdf.ts';

/*
 * The heavy PDF work a request or job hands to a worker thread (pdfWorkPool.ts): pure
 * functions of their input, each within the PDF limits. This module is the worker's entry:
 * piscina calls its default export with one task at a time.
 */

export type PdfTask = (
  | { kind: 'inspect'; bytes: Uint8Array; limits: PdfLimits }
  | { kind: 'verify'; bytes: Uint8Array; limits: PdfLimits; trustAnchors: Uint8Array[]; now?: string }
  | { kind: 'compose'; input: ComposeInput; limits: PdfLimits }
) & {
  /** Told when the task starts on a worker: its time limit runs from then, not from queueing. */
  started?: MessagePort;
};

export interface PdfTaskResults {
  inspect: UploadedPdfInfo;
  verify: VerificationReport;
  compose: Uint8Array;
}

/** A SignetError as it crosses the thread boundary (structured clone keeps no class). */
export interface ClonedSignetError {
  code: ErrorCode;
  detail: string;
  errors: SignetError['errors'];
}

export type PdfTaskOutcome<T> = { ok: true; value: T } | { ok: false; error: ClonedSignetError };

export default async function runPdfTask(task: PdfTask): Promise<PdfTaskOutcome<unknown>> {
  task.started?.postMessage('started');
  task.started?.close();
  try {
    return { ok: true, value: await perform(task) };
  } catch (error) {
    // Domain errors are answers (a damaged file, a limit passed); anything else is a bug and
    // crosses as a plain Error, which the pool reports as one.
    if (!(error instanceof SignetError)) throw error;
    return {
      ok: false,
      error: { code: error.code, detail: error.detail, errors: error.errors },
    };
  }
}

function perform(task: PdfTask): Promise<unknown> {
  switch (task.kind) {
    case 'inspect':
      return inspectUploadedPdf(task.bytes, new PdfBudget(task.limits));
    case 'verify':
      return verifyPdf(task.bytes, {
        trustAnchors: task.trustAnchors,
        ...(task.now ? { now: new Date(task.now) } : {}),
        revocation: 'embedded-only',
        limits: task.limits,
      });
    case 'compose':
      return composeCompletedPdf(task.input, new PdfBudget(task.limits));
  }
}
