/*
 * Debian's Chromium, driven by playwright-core (no browser downloads here),
 * with the flags this machine's closed network needs.
 */
import { Browser, chromium } from 'playwright-core';

/** Launches headless Chromium from /usr/bin/chromium with a new empty profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
