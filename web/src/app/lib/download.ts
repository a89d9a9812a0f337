/** Hands bytes to the browser as a download named `fileName`. */
export function saveFile(bytes: Uint8Array | string, fileName: string, type: string) {
  const url = URL.createObjectURL(
    new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type }),
  );
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has been handled; revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** A file name from a title: the characters file systems refuse become dashes. */
export const fileNameOf = (title: string, extension: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  `${title.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '-').trim() || 'document'}.${extension}`;
