// Saving and reading small text files without a server (blob: URLs are allowed by the CSP).
export function downloadText(filename: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Give the browser a moment to start the download before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function backupFilename(now = new Date()): string {
  return `chattor-backup-${now.toISOString().slice(0, 10)}.json`;
}

/** Reads a chosen file as text, refusing anything larger than `max` bytes. */
export async function readSmallFile(file: File, max: number): Promise<string | null> {
  if (file.size > max) return null;
  return file.text();
}
