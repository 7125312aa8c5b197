// Plays fMP4 segments through Media Source Extensions in headless Chromium
// (Debian's `chromium`, driven by playwright-core) and prints what happened
// as one JSON line.
//
// Usage: node tests/mse/play.mjs DIR
//
// DIR holds manifest.json, {"mime": "video/mp4; codecs=\"...\"", "files":
// ["init.mp4", "seg-0.m4s", ...]}, and those files. A server on
// 127.0.0.1 (port 0) serves a blank page and the files; the page appends
// every file to one SourceBuffer in order, ends the stream, plays it
// (muted, at RATE times normal speed) and reports the media duration, the
// buffered ranges, the position reached, and every error it saw.
//
// Environment: CHROMIUM (default /usr/bin/chromium), RATE (default 4),
// TIMEOUT_MS (default 30000).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node play.mjs DIR');
  process.exit(2);
}
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const rate = Number(process.env.RATE || 4);
const timeoutMs = Number(process.env.TIMEOUT_MS || 30000);

const server = http.createServer((req, res) => {
  const name = decodeURIComponent(new URL(req.url, 'http://localhost').pathname.slice(1));
  if (name === '') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>mse</title><video id="v" muted></video>');
  } else if (manifest.files.includes(name)) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(fs.readFileSync(path.join(dir, name)));
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage();
  const console_errors = [];
  page.on('pageerror', (e) => console_errors.push(String(e)));
  await page.goto(base);
  const result = await page.evaluate(
    async ({ mime, files, rate, timeoutMs }) => {
      if (!MediaSource.isTypeSupported(mime)) {
        return { supported: false };
      }
      const errors = [];
      const video = document.getElementById('v');
      video.addEventListener('error', () =>
        errors.push(`media error ${video.error?.code}: ${video.error?.message}`),
      );
      const source = new MediaSource();
      video.src = URL.createObjectURL(source);
      await new Promise((r) => source.addEventListener('sourceopen', r, { once: true }));
      const buffer = source.addSourceBuffer(mime);
      buffer.addEventListener('error', () => errors.push('SourceBuffer error'));
      for (const f of files) {
        const data = await (await fetch(f)).arrayBuffer();
        const done = new Promise((r) => buffer.addEventListener('updateend', r, { once: true }));
        try {
          buffer.appendBuffer(data);
        } catch (e) {
          errors.push(`appendBuffer(${f}): ${e}`);
          break;
        }
        await done;
        if (errors.length) break;
      }
      const buffered = [];
      for (let i = 0; i < buffer.buffered.length; i++) {
        buffered.push([buffer.buffered.start(i), buffer.buffered.end(i)]);
      }
      if (!errors.length) source.endOfStream();
      const duration = source.duration;
      video.playbackRate = rate;
      let playError = null;
      await video.play().catch((e) => (playError = String(e)));
      if (playError) errors.push(`play(): ${playError}`);
      await new Promise((r) => {
        video.addEventListener('ended', r, { once: true });
        video.addEventListener('error', r, { once: true });
        setTimeout(r, timeoutMs);
      });
      return {
        supported: true,
        duration,
        buffered,
        currentTime: video.currentTime,
        ended: video.ended,
        errors,
      };
    },
    { ...manifest, rate, timeoutMs },
  );
  result.pageErrors = console_errors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  server.close();
}
