// Opens examples/serve's page in headless Chromium (Debian's `chromium`,
// driven by playwright-core from tests/mse/node_modules), waits until the
// page lists at least MIN_ROWS rows of streams, and prints each row's
// cells as one JSON array per line.
//
// Usage: node tests/serve_support/page_rows.mjs BASE_URL MIN_ROWS
//
// Environment: CHROMIUM (default /usr/bin/chromium).

import { createRequire } from 'node:module';

const require = createRequire(new URL('../mse/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [base, minRows] = process.argv.slice(2);
if (!base || !minRows) {
  console.error('usage: node page_rows.mjs BASE_URL MIN_ROWS');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(base);
  // No time bound of ours: the page's rows come from one fetch.
  await page.waitForFunction(
    (n) => document.querySelectorAll('#streams tr').length >= n,
    Number(minRows),
    { timeout: 0 },
  );
  const rows = await page.$$eval('#streams tr', (trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
  for (const row of rows) console.log(JSON.stringify(row));
  if (pageErrors.length) {
    console.error(pageErrors.join('\n'));
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
