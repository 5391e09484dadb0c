import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (scripts/ensure-e2e-tools.sh installs it); never a downloaded browser build. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where the browser tests put their screenshots (gitignored). */
export const SCREENSHOTS = new URL('../../test-results/', import.meta.url);

/** Outside CI a machine without chromium skips the browser files; in CI a missing browser is a failure. */
export const chromiumAvailable = existsSync(CHROMIUM) || process.env['CI'] !== undefined;

/** Starts Debian's chromium headless, and makes sure the screenshot folder exists. */
export async function launchChromium(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
