import * as Dialog from '@radix-ui/react-dialog';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import SignaturePad from 'signature_pad';
import { fitPng, INK, renderTyped, trimToInk, uploadedImageToPng } from './marks.ts';
import { useReturnFocus } from './returnFocus.ts';
import { HANDWRITING_FONTS, type HandwritingFont, type Mark } from './saved.ts';

/*
 * Adopting a signature or initials (SPEC §B): type it in one of three handwriting fonts
 * shipped with Signet, draw it with a finger, pen or mouse (signature_pad), or upload a picture
 * of it. Typing is the way for keyboard and screen-reader users; drawing needs a pointer.
 */

type Method = 'type' | 'draw' | 'upload';

export interface AdoptDialogProps {
  open: boolean;
  purpose: 'signature' | 'initials';
  /** What the Type tab starts with: the signer's name, or their initials. */
  defaultText: string;
  current: Mark | null;
  onOpenChange(open: boolean): void;
  onAdopt(mark: Mark): void;
}

export function AdoptDialog({
  open,
  purpose,
  defaultText,
  current,
  onOpenChange,
  onAdopt,
}: AdoptDialogProps) {
  const { t } = useTranslation();
  const returnFocus = useReturnFocus(open);
  const [method, setMethod] = useState<Method>(
    current?.kind === 'drawn' ? 'draw' : current?.kind === 'uploaded' ? 'upload' : 'type',
  );
  const [text, setText] = useState(current?.text ?? defaultText);
  const [font, setFont] = useState<HandwritingFont>(current?.font ?? HANDWRITING_FONTS[0]);
  const [uploaded, setUploaded] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pad = useRef<DrawingPad | null>(null);
  const [drawn, setDrawn] = useState(false);
  const ids = { text: useId(), upload: useId(), problem: useId() };
  const onPadReady = useCallback((instance: DrawingPad | null) => {
    pad.current = instance;
  }, []);

  // Each opening starts from what is adopted now (or the signer's name or initials).
  useEffect(() => {
    if (!open) return;
    setProblem(null);
    setUploaded(null);
    setText(current?.text ?? defaultText);
    setFont(current?.font ?? HANDWRITING_FONTS[0]);
    setMethod(current?.kind === 'drawn' ? 'draw' : current?.kind === 'uploaded' ? 'upload' : 'type');
  }, [open, current, defaultText]);

  async function adopt() {
    setProblem(null);
    setBusy(true);
    try {
      if (method === 'type') {
        const value = text.trim();
        if (!value) return setProblem(t('adopt.typeMissing'));
        onAdopt({ kind: 'typed', text: value, font, dataUrl: await renderTyped(value, font) });
      } else if (method === 'draw') {
        const drawing = pad.current;
        const cropped = drawing && !drawing.pad.isEmpty() ? trimToInk(drawing.canvas) : null;
        if (!cropped) return setProblem(t('adopt.drawMissing'));
        onAdopt({ kind: 'drawn', dataUrl: fitPng(cropped) });
      } else {
        if (!uploaded) return setProblem(t('adopt.uploadMissing'));
        onAdopt({ kind: 'uploaded', dataUrl: uploaded });
      }
      onOpenChange(false);
    } finally {
      setBusy(false);
    }
  }

  async function upload(file: File | undefined) {
    setProblem(null);
    setUploaded(null);
    if (!file) return;
    try {
      setUploaded(await uploadedImageToPng(file));
    } catch {
      setProblem(t('adopt.uploadUnreadable'));
    }
  }

  const title = purpose === 'signature' ? t('adopt.signatureTitle') : t('adopt.initialsTitle');
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content
          className="dialog adopt-dialog"
          aria-describedby={undefined}
          onCloseAutoFocus={returnFocus}
        >
          <Dialog.Title>{title}</Dialog.Title>
          <fieldset className="segmented">
            <legend>{t('adopt.method')}</legend>
            <div className="options">
              {(['type', 'draw', 'upload'] as const).map((m) => (
                <label key={m} className={method === m ? 'selected' : undefined}>
                  <input
                    className="choice-input"
                    type="radio"
                    name="adopt-method"
                    value={m}
                    checked={method === m}
                    onChange={() => {
                      setMethod(m);
                      setProblem(null);
                    }}
                  />
                  {t(`adopt.${m}`)}
                </label>
              ))}
            </div>
          </fieldset>

          {method === 'type' ? (
            <div className="adopt-panel">
              <label htmlFor={ids.text}>
                {purpose === 'signature' ? t('adopt.typeName') : t('adopt.typeInitials')}
              </label>
              <input
                id={ids.text}
                type="text"
                value={text}
                maxLength={purpose === 'signature' ? 200 : 20}
                autoComplete={purpose === 'signature' ? 'name' : 'off'}
                onChange={(event) => setText(event.target.value)}
              />
              <fieldset className="fonts">
                <legend>{t('adopt.font')}</legend>
                {HANDWRITING_FONTS.map((f) => (
                  <label key={f} className={font === f ? 'selected' : undefined}>
                    <input
                      className="choice-input"
                      type="radio"
                      name="adopt-font"
                      value={f}
                      checked={font === f}
                      onChange={() => setFont(f)}
                    />
                    <span className="font-sample" style={{ fontFamily: `"${f}", cursive`, color: INK }}>
                      {text.trim() || defaultText}
                    </span>
                    <span className="visually-hidden">{t('adopt.fontName', { name: f })}</span>
                  </label>
                ))}
              </fieldset>
            </div>
          ) : null}

          {method === 'draw' ? <DrawPanel onReady={onPadReady} onChange={setDrawn} drawn={drawn} /> : null}

          {method === 'upload' ? (
            <div className="adopt-panel">
              <label htmlFor={ids.upload}>{t('adopt.uploadLabel')}</label>
              <input
                id={ids.upload}
                type="file"
                accept="image/png,image/jpeg,image/webp,image/gif"
                onChange={(event) => void upload(event.target.files?.[0])}
              />
              {uploaded ? (
                <img className="mark-preview" src={uploaded} alt={t('adopt.uploadPreview')} />
              ) : null}
            </div>
          ) : null}

          {problem ? (
            <p id={ids.problem} className="notice error" role="alert">
              {problem}
            </p>
          ) : null}
          <p className="muted small">
            {purpose === 'signature' ? t('adopt.legalSignature') : t('adopt.legalInitials')}
          </p>
          <div className="dialog-actions">
            <Dialog.Close asChild>
              <button type="button" className="secondary">
                {t('action.cancel')}
              </button>
            </Dialog.Close>
            <button type="button" className="primary" onClick={() => void adopt()} disabled={busy}>
              {purpose === 'signature' ? t('adopt.adoptSignature') : t('adopt.adoptInitials')}
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** signature_pad keeps its canvas to itself; the panel hands both out. */
interface DrawingPad {
  pad: SignaturePad;
  canvas: HTMLCanvasElement;
}

function DrawPanel({
  onReady,
  onChange,
  drawn,
}: {
  onReady(pad: DrawingPad | null): void;
  onChange(drawn: boolean): void;
  drawn: boolean;
}) {
  const { t } = useTranslation();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const padRef = useRef<SignaturePad | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    // The canvas is sized in device pixels so strokes are sharp; signature_pad draws in CSS pixels.
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const resize = () => {
      const data = padRef.current?.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext('2d')!.scale(ratio, ratio);
      padRef.current?.clear();
      if (data) padRef.current?.fromData(data);
    };
    const instance = new SignaturePad(canvas, { penColor: '#1b2a6b', minWidth: 1, maxWidth: 3 });
    padRef.current = instance;
    resize();
    instance.addEventListener('endStroke', () => onChange(!instance.isEmpty()));
    onReady({ pad: instance, canvas });
    onChange(false);
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      instance.off();
      onReady(null);
      padRef.current = null;
    };
  }, [onReady, onChange]);

  return (
    <div className="adopt-panel">
      <p id="draw-hint" className="muted">
        {t('adopt.drawHint')}
      </p>
      <canvas
        ref={canvasRef}
        className="draw-canvas"
        role="img"
        aria-label={drawn ? t('adopt.drawnArea') : t('adopt.drawArea')}
        aria-describedby="draw-hint"
      />
      <button
        type="button"
        className="link-button"
        onClick={() => {
          padRef.current?.clear();
          onChange(false);
        }}
      >
        {t('adopt.clear')}
      </button>
    </div>
  );
}
