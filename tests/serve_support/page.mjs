// Opens examples/serve's page in headless Chromium (Debian's `chromium`,
// driven by playwright-core from tests/mse/node_modules), plays listed
// streams in turn with the page's own play buttons, and prints what
// happened to each as one JSON line.
//
// Usage: node tests/serve_support/page.mjs BASE_URL SCREENSHOT.png KIND...
//
// KIND is the "format" column of the row whose play button is clicked
// ("DASH", "HLS fMP4", "LL-HLS live", ...). Playback runs at RATE times
// normal speed (live: normal speed) until it has advanced SECONDS from
// where it started, or TIMEOUT_MS passes; each report has the start and
// end positions, the picture size, the row's cells, the page's status
// text and every media and page error seen. The screenshot is taken after
// the last stream.
//
// Environment: CHROMIUM (default /usr/bin/chromium), RATE (default 4),
// SECONDS (default 5), TIMEOUT_MS (default 30000).

import { createRequire } from 'node:module';

const require = createRequire(new URL('../mse/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [base, screenshot, ...kinds] = process.argv.slice(2);
if (!base || !screenshot || kinds.length === 0) {
  console.error('usage: node page.mjs BASE_URL SCREENSHOT.png KIND...');
  process.exit(2);
}
const rate = Number(process.env.RATE || 4);
const seconds = Number(process.env.SECONDS || 5);
const timeoutMs = Number(process.env.TIMEOUT_MS || 30000);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(base);
  for (const kind of kinds) {
    const row = page.locator('#streams tr', { has: page.locator('td', { hasText: kind }) }).first();
    await row.locator('td', { hasText: /kbit\/s/ }).waitFor({ timeout: 10000 });
    const cells = await row.locator('td').allTextContents();
    await row.locator('button').click();
    const live = /live/i.test(kind);
    const result = await page.evaluate(
      async ({ rate, seconds, timeoutMs }) => {
        const video = document.getElementById('video');
        const errors = [];
        const onError = () => errors.push(`media error ${video.error.code}: ${video.error.message}`);
        video.addEventListener('error', onError);
        const begin = Date.now();
        const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
        // The start: the first position once playback runs.
        while (Date.now() - begin < timeoutMs && (video.paused || video.readyState < 3) && !video.error) {
          await sleep(50);
        }
        const start = video.currentTime;
        // How far behind the live edge the first picture shown is, in media
        // time: for native HLS the end of the seekable range, for the
        // page's DASH player the server's clock since availabilityStartTime.
        let edgeLag = null;
        if (typeof liveClock !== 'undefined' && liveClock) {
          edgeLag = (Date.now() + liveClock.offset - liveClock.ast) / 1000 - start;
        } else if (video.seekable.length && Number.isFinite(video.seekable.end(video.seekable.length - 1))) {
          edgeLag = video.seekable.end(video.seekable.length - 1) - start;
        }
        while (Date.now() - begin < timeoutMs && video.currentTime - start < seconds && !video.error) {
          if (video.playbackRate !== rate) video.playbackRate = rate;
          await sleep(100);
        }
        video.removeEventListener('error', onError);
        return {
          start,
          end: video.currentTime,
          width: video.videoWidth,
          height: video.videoHeight,
          status: document.getElementById('status').textContent,
          edge_lag: edgeLag,
          errors,
        };
      },
      { rate: live ? 1 : rate, seconds, timeoutMs },
    );
    console.log(JSON.stringify({ kind, ...result, cells, page_errors: pageErrors.splice(0) }));
  }
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}
