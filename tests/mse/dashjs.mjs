// Plays a DASH MPD with dash.js (the pinned npm package) in headless
// Chromium (Debian's `chromium`, driven by playwright-core) and prints what
// happened as one JSON line.
//
// Usage: node tests/mse/dashjs.mjs MPD_URL vod|live SECONDS
//
// The page and dash.js's dist file are answered by playwright's route API
// under the MPD's own origin (`/dashjs-page/`), so the server of the MPD
// serves nothing but the presentation. `vod`: plays (muted, at RATE times
// normal speed) until `ended` or SECONDS of wall time. `live`: plays for
// SECONDS once playback started. Reports whether playback started and
// ended, every `waiting` event after the start (a stall), the position
// sampled every 500 ms, and every dash.js or media error.
//
// Environment: CHROMIUM (default /usr/bin/chromium), RATE (default 2, vod
// only).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [mpdUrl, mode, secondsArg] = process.argv.slice(2);
if (!mpdUrl || !['vod', 'live'].includes(mode) || !secondsArg) {
  console.error('usage: node dashjs.mjs MPD_URL vod|live SECONDS');
  process.exit(2);
}
const seconds = Number(secondsArg);
const rate = mode === 'vod' ? Number(process.env.RATE || 2) : 1;
const dashjsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules/dashjs');
const dashjsFile = path.join(dashjsDir, 'dist/modern/umd/dash.all.min.js');
const dashjsVersion = JSON.parse(fs.readFileSync(path.join(dashjsDir, 'package.json'), 'utf8')).version;
const origin = new URL(mpdUrl).origin;
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamkit-dashjs-'));

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
  ],
});
let result;
try {
  const page = context.pages()[0] || (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.route(`${origin}/dashjs-page/**`, (route) => {
    const name = new URL(route.request().url()).pathname;
    if (name === '/dashjs-page/dash.all.min.js') {
      route.fulfill({ contentType: 'text/javascript', body: fs.readFileSync(dashjsFile) });
    } else {
      route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><title>dash.js</title><script src="dash.all.min.js"></script><video id="v" muted></video>',
      });
    }
  });
  await page.goto(`${origin}/dashjs-page/index.html`);
  result = await page.evaluate(
    async ({ mpdUrl, mode, seconds, rate }) => {
      const errors = [];
      const video = document.getElementById('v');
      const player = dashjs.MediaPlayer().create();
      player.on(dashjs.MediaPlayer.events.ERROR, (e) =>
        errors.push(`dash.js error: ${JSON.stringify(e.error ?? e)}`),
      );
      video.addEventListener('error', () =>
        errors.push(`media error ${video.error?.code}: ${video.error?.message}`),
      );
      let startedAt = null;
      let ended = false;
      const stalls = [];
      video.addEventListener('playing', () => {
        if (startedAt === null) startedAt = performance.now();
        if (mode === 'vod') video.playbackRate = rate;
      });
      video.addEventListener('waiting', () => {
        if (startedAt !== null && !ended) stalls.push(video.currentTime);
      });
      const endedP = new Promise((r) =>
        video.addEventListener('ended', () => {
          ended = true;
          r();
        }),
      );
      player.initialize(video, mpdUrl, true);
      const positions = [];
      const sample = setInterval(() => positions.push(video.currentTime), 500);
      const deadline = performance.now() + seconds * 1000 + 20000;
      if (mode === 'vod') {
        await Promise.race([endedP, new Promise((r) => setTimeout(r, seconds * 1000))]);
      } else {
        while (startedAt === null && performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
        if (startedAt !== null) {
          const from = video.currentTime;
          await new Promise((r) => setTimeout(r, seconds * 1000));
          positions.push({ from, to: video.currentTime });
        }
      }
      clearInterval(sample);
      const out = {
        started: startedAt !== null,
        ended,
        duration: video.duration,
        currentTime: video.currentTime,
        stalls,
        positions,
        errors,
      };
      player.reset();
      return out;
    },
    { mpdUrl, mode, seconds, rate },
  );
  result.pageErrors = pageErrors;
  result.dashjs = dashjsVersion;
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
