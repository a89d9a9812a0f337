import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';

/*
 * How the browser suites drive the web app as people do: the keyboard's Tab key, a finger on a
 * touch screen, a mouse dragging from the field palette, a file chosen in the upload dialog.
 * Shared by the workspace, ceremony and whole-story suites.
 */

/** Presses Tab (or Shift+Tab) until `target` has the focus: the keyboard's way to a control. */
export async function tabTo(page: Page, target: Locator, options: { back?: boolean } = {}): Promise<void> {
  for (let presses = 0; presses < 120; presses++) {
    if (
      await target.evaluate((element) => element === element.ownerDocument.activeElement).catch(() => false)
    ) {
      return;
    }
    await page.keyboard.press(options.back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`the keyboard never reached ${target}`);
}

/** A stroke drawn with one finger: touchStart, moves, touchEnd, as a phone's screen sends them. */
export async function drawWithFinger(context: BrowserContext, page: Page, canvas: Locator): Promise<void> {
  const box = await canvas.boundingBox();
  assert.ok(box, 'the drawing area is on screen');
  const cdp = await context.newCDPSession(page);
  const point = (t: number) => ({
    x: box.x + box.width * (0.1 + 0.8 * t),
    y: box.y + box.height * (0.5 + 0.3 * Math.sin(t * Math.PI * 4)),
  });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point(0)] });
  for (let i = 1; i <= 30; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [point(i / 30)] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

/** The ceremony's guide above the documents: how many fields are left. */
export const ceremonyProgress = (page: Page): Locator => page.getByRole('region', { name: 'Progress' });

/** Chooses a PDF in the compose page's file input, as the upload dialog would, via a file in `dir`. */
export async function choosePdf(page: Page, dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  await page.locator('input[type=file]').setInputFiles(path);
  await page.getByText(name).waitFor();
}

/** Drags a field palette item and lets go at (x, y) in the window, as a mouse does. */
export async function dragFromPalette(page: Page, type: string, x: number, y: number): Promise<void> {
  const source = await page.getByRole('button', { name: `Add a ${type} field` }).boundingBox();
  assert.ok(source);
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(source.x + source.width / 2 + 30, source.y + source.height / 2 + 30, { steps: 4 });
  await page.mouse.move(x, y, { steps: 12 });
  await page.mouse.up();
}
