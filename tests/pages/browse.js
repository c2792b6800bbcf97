// Drives Debian's chromium through puppeteer-core over a page pairforge wrote, does what a user
// does (keys, wheel, drag, slider) and prints what it saw as one JSON object on stdout; the
// screenshots go to OUT_DIR. tests/pages/browser_test.cpp runs it and checks the numbers.
// usage: node browse.js PUPPETEER_DIR CHROMIUM OUT_DIR compare INDEX_HTML
//        node browse.js PUPPETEER_DIR CHROMIUM OUT_DIR report INDEX_HTML PAIRFORGE RUN_DIR PAGE_DIR
//        node browse.js PUPPETEER_DIR CHROMIUM OUT_DIR shot INDEX_HTML NAME [KEYS [WxH]]  (docs/img)
'use strict';
const fs = require('fs');
const path = require('path');
const {spawn} = require('child_process');
const {pathToFileURL} = require('url');

const [pkg, chromium, outDir, scenario, index, ...rest] = process.argv.slice(2);
const puppeteer = require(pkg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function open(browser, url, problems, size) {
  const page = await browser.newPage();
  const [width, height] = (size || '1100x900').split('x').map(Number);
  await page.setViewport({width, height, deviceScaleFactor: 1});
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure().errorText}`));
  // Everything a page needs is in its folder: any other request is a problem, answered or not.
  page.on('request', (r) => {
    if (!/^(file|data|blob):/.test(r.url())) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(url, {waitUntil: 'load'});
  await page.waitForFunction(() => window.pfViewer && window.pfViewer.data.images.length > 0, {timeout: 10000});
  await page.evaluate(() => window.pfViewer.loaded());
  return page;
}

async function shot(page, name) {
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({path: file});
  return file;
}

const state = (page) => page.evaluate(() => window.pfViewer.state());

async function key(page, code, shift) {
  if (shift) await page.keyboard.down('Shift');
  await page.keyboard.press(code);
  if (shift) await page.keyboard.up('Shift');
  return state(page);
}

// Keys 1..n, the wheel, a drag and the slider, on the first image; then the next image.
async function viewerScenario(page, out, prefix, hqKey) {
  out.keys = [];
  for (const k of ['Digit2', 'Digit3', 'Digit1']) {
    const s = await key(page, k);
    out.keys.push({key: k, shown: s.shown, tag: s.tagA});
  }
  const fit = await state(page);
  out.fit = {state: fit, shot: await shot(page, `${prefix}_fit`)};
  // Two wheel steps in, around a point inside the image.
  const cx = fit.view.left + fit.tx + 37, cy = fit.view.top + fit.ty + 29;
  await page.mouse.move(cx, cy);
  for (let i = 0; i < 2; ++i) {
    await page.mouse.wheel({deltaY: -120});
    await sleep(30);
  }
  out.zoomed = {state: await state(page), shot: await shot(page, `${prefix}_zoom_v1`)};
  const other = await key(page, hqKey);
  out.zoomedOther = {state: other, shot: await shot(page, `${prefix}_zoom_v${hqKey.slice(-1)}`)};
  // A drag pans by exactly the pointer's travel.
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 20, cy + 10, {steps: 4});
  await page.mouse.move(cx + 37, cy + 23, {steps: 4});
  await page.mouse.up();
  out.panned = await state(page);
  // The slider: pointer at 30 %, then 70 % of the view.
  await key(page, 'Digit1');
  await key(page, 'KeyS');
  const v = out.panned.view;
  out.slider = [];
  for (const f of [0.3, 0.7]) {
    await page.mouse.move(v.left + Math.round(v.width * f), v.top + v.height / 2);
    await sleep(30);
    out.slider.push({state: await state(page), shot: await shot(page, `${prefix}_slider_${f * 100}`)});
  }
  await key(page, 'KeyS');
  out.next = await key(page, 'ArrowDown');
  await page.evaluate(() => window.pfViewer.loaded());
  out.nextButtons = await page.$$eval('.pf-version', (bs) => bs.map((b) => ({text: b.innerText, disabled: b.disabled})));
  await key(page, 'ArrowUp');
}

async function compare(browser, out) {
  const page = await open(browser, pathToFileURL(index).href, out.problems);
  out.versions = await page.evaluate(() => window.pfViewer.data.versions.map((v) => v.label));
  out.buttons = await page.$$eval('.pf-version', (bs) => bs.map((b) => b.innerText));
  out.metrics = await page.$eval('.pf-metrics', (m) => m.innerText);
  await viewerScenario(page, out, 'compare', `Digit${out.versions.length}`);
}

// Every point of every chart: its value and where uPlot drew it, in page pixels.
function chartPoints(page) {
  return page.evaluate(() => {
    const out = {};
    for (const [key, u] of Object.entries(window.pfCharts)) {
      const r = u.over.getBoundingClientRect();
      out[key] = {x: u.data[0], series: u.series.slice(1).map((s, i) => ({
        label: s.label, color: s.stroke(), values: u.data[i + 1],
        at: u.data[0].map((x, j) => (u.data[i + 1][j] === null ? null :
          [r.left + u.valToPos(x, 'x'), r.top + u.valToPos(u.data[i + 1][j], s.scale)])),
      }))};
    }
    return out;
  });
}

async function report(browser, out) {
  const [binary, runDir, pageDir] = rest;
  // `pairforge report --watch` keeps the page up to date; the page re-reads data.js every 0.3 s.
  const watch = spawn(binary, ['report', runDir, '-o', pageDir, '--watch', '--interval', '0.1'],
    {stdio: ['ignore', 'ignore', 'pipe']});
  let log = '';
  watch.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => watch.on('exit', (code, signal) => r({code, signal})));
  try {
    for (let i = 0; i < 200 && !fs.existsSync(path.join(pageDir, 'data.js')); ++i) await sleep(50);
    const page = await open(browser, pathToFileURL(index).href + '?refresh=0.3', out.problems);
    await page.waitForFunction(() => Object.keys(window.pfCharts).length === 4, {timeout: 10000});
    out.status = await page.$eval('#status', (s) => s.innerText);
    out.charts = await chartPoints(page);
    out.chartsShot = await shot(page, 'report_charts');
    out.versions = await page.evaluate(() => window.pfViewer.data.versions.map((v) => v.label));
    await page.$eval('#viewer', (v) => v.scrollIntoView());
    await viewerScenario(page, out, 'report', 'Digit2');
    // The trainer finishes the line it was writing: the page shows the point without a reload,
    // and leaves the reader where they were (the viewer's list is off-screen here).
    await page.setViewport({width: 1100, height: 600, deviceScaleFactor: 1});
    await page.evaluate(() => window.scrollTo(0, 0));
    fs.appendFileSync(path.join(runDir, 'train_log.jsonl'),
      'ses":{"l1loss":0.031,"perceptual":0.21,"total":0.052},"it_per_s":3.3}\n');
    await page.waitForFunction(() => window.pfCharts.loss.data[0].length === 8, {timeout: 10000})
      .catch(() => out.problems.push('the page did not pick up the new log line within 10 s'));
    out.chartsAfter = await chartPoints(page);
    out.scrollAfterRefresh = await page.evaluate(() => window.scrollY);
    await page.close();
  } finally {
    watch.kill('SIGINT');
    out.watch = await exited;
    out.watchLog = log;
  }
}

// A screenshot for the README after the given keys, e.g. "ArrowDown,KeyS,wheel@X:Y:STEPS,move@X:Y".
async function docs(browser, out) {
  const [name, keys, size] = rest;
  const page = await open(browser, pathToFileURL(index).href, out.problems, size);
  for (const k of (keys || '').split(',').filter((x) => x)) {
    if (k.startsWith('wheel@')) {
      const [x, y, n] = k.slice(6).split(':').map(Number);
      await page.mouse.move(x, y);
      for (let i = 0; i < n; ++i) await page.mouse.wheel({deltaY: -120});
    } else if (k.startsWith('move@')) {
      const [x, y] = k.slice(5).split(':').map(Number);
      await page.mouse.move(x, y);
    } else {
      await page.keyboard.press(k);
    }
    await sleep(50);
  }
  await page.evaluate(() => window.pfViewer.loaded());
  out.shot = await shot(page, name);
}

async function main() {
  fs.mkdirSync(outDir, {recursive: true});
  const browser = await puppeteer.launch({
    executablePath: chromium, headless: true,
    // Root in a container has no user namespace for the sandbox; sRGB keeps pixel values exact.
    args: ['--no-sandbox', '--force-color-profile=srgb', '--disable-gpu', '--hide-scrollbars'],
  });
  const out = {problems: []};
  try {
    await ({compare, report, shot: docs})[scenario](browser, out);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
