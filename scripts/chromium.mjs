// Debian's Chromium as every browser test and benchmark starts it (through playwright-core, never a downloaded
// browser): the one place for its path and flags. TOOLCHAIN.md: without the background-networking flags Chromium
// tries to reach Google's hosts at every start, and this machine's closed network refuses them.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
