// Browser tests of `gammalab serve`: the real program on a free loopback port, Debian's
// chromium driven headless by playwright-core. Run by ctest (tests/CMakeLists.txt) as
//   GAMMALAB_BINARY=build/gammalab node tests/browser/explorer.test.mjs
// Skips (exit 77) only when chromium cannot start here, and never on CI (CI=true).
// Screenshots go to $GAMMALAB_SCREENSHOTS (default: a temporary folder); with
// GAMMALAB_UPDATE_SCREENSHOTS=1 also to docs/, where the README shows them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = process.env.GAMMALAB_SOURCE_DIR || path.resolve(here, '../..');
const binary = process.env.GAMMALAB_BINARY || path.join(source, 'build/gammalab');
const chromiumPath = process.env.GAMMALAB_CHROMIUM || '/usr/bin/chromium';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gammalab-browser-'));
const shots = process.env.GAMMALAB_SCREENSHOTS || path.join(scratch, 'screenshots');
fs.mkdirSync(shots, { recursive: true });

let playwright;
try {
  playwright = await import('playwright-core');
} catch (error) {
  console.error(`playwright-core is not installed in ${here}: run scripts/install-deps.sh (it runs npm ci there)\n${error.message}`);
  process.exit(1);
}

// Chromium as root in a container: no sandbox, no GPU, no network of its own, a fresh profile.
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
let browser;
try {
  if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} does not exist (Debian's package chromium)`);
  browser = await playwright.chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 60000 });
} catch (error) {
  const message = `chromium cannot run here: ${error.message.split('\n')[0]}`;
  if (process.env.CI) {
    console.error(`${message}\nOn CI the browser tests must run: scripts/install-deps.sh installs chromium.`);
    fs.rmSync(scratch, { recursive: true, force: true });
    process.exit(1);
  }
  console.log(`SKIPPED: ${message}`);
  fs.rmSync(scratch, { recursive: true, force: true });
  process.exit(77);
}

function gammalab(...args) {
  return spawnSync(binary, args, { encoding: 'utf8' });
}
function cliJson(...args) {
  const outcome = gammalab(...args);
  assert.equal(outcome.status, 0, outcome.stderr);
  return JSON.parse(outcome.stdout);
}

// A result directory made by a tiny sweep (with its figure), and one still "running".
const results = path.join(scratch, 'results');
function tinyResults() {
  const home = path.join(scratch, 'home');
  fs.mkdirSync(path.join(home, 'experiments'), { recursive: true });
  fs.symlinkSync(path.join(source, 'plots'), path.join(home, 'plots'));
  fs.writeFileSync(path.join(home, 'experiments', 'fig2-quick.toml'),
    '[sweep]\nname = "fig2"\nscale = "quick"\nwidths = [16, 32, 64]\nseeds = 2\nschemes = ["A", "B"]\nsteps = 20\n' +
    '[learning_rate]\nvalues = [0.001, 0.01, 0.1, 1.0]\n[data]\ntrain_size = 32\ntest_size = 8\nteacher_width = 32\n');
  fs.mkdirSync(results);
  const outcome = gammalab('reproduce', 'fig2', '--scale', 'quick', '--home', home, '-o', path.join(results, 'fig2-tiny'));
  assert.equal(outcome.status, 0, outcome.stdout + outcome.stderr);
  const running = path.join(results, 'running-sweep');
  fs.mkdirSync(running);
  fs.writeFileSync(path.join(running, 'manifest.json'), JSON.stringify({ spec_name: 'running-sweep', status: 'running', configurations: 10, schemes: ['A'] }));
  fs.writeFileSync(path.join(running, 'runs.csv'), 'id,scheme\n0,A\n1,A\n2,A\n');
  fs.writeFileSync(path.join(scratch, 'outside.txt'), 'SECRET outside the results folder\n');
}

let server, base, page;
const consoleErrors = [];

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(binary, ['serve', '--port', '0', '--results', results], { stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    const timer = setTimeout(() => reject(new Error(`the server printed no address: ${printed}`)), 20000);
    server.stdout.on('data', (chunk) => {
      printed += chunk;
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(printed);
      if (match) { clearTimeout(timer); resolve(`http://127.0.0.1:${match[1]}`); }
    });
    server.stderr.on('data', (chunk) => { printed += chunk; });
    server.on('exit', (code) => reject(new Error(`the server stopped (${code}): ${printed}`)));
  });
}

// Retries `check` until it passes or `ms` run out, then throws its last failure.
async function eventually(check, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    try { return await check(); } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
const text = (selector) => page.locator(selector).first().textContent();
async function ready(url) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]');
}

before(async () => {
  tinyResults();
  base = await startServer();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill();
  if (process.env.GAMMALAB_UPDATE_SCREENSHOTS === '1')
    for (const name of ['serve-explorer.png', 'serve-results.png'])
      if (fs.existsSync(path.join(shots, name))) fs.copyFileSync(path.join(shots, name), path.join(source, 'docs', name));
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('the page loads with no console error, from the program alone', async () => {
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  await ready(`${base}/`);
  await eventually(async () => assert.match(await text('#description'), /^Init\[A\]/));
  assert.deepEqual(consoleErrors, []);
  for (const url of requests) assert.ok(url.startsWith(base), `a request away from the program: ${url}`);
});

test('Init[A] with γ[η] = -1/2 shows the exponent table of gamma predict --scheme A --eta -1/2 --json', async () => {
  await ready(`${base}/?scheme=B&eta=0`);
  await page.selectOption('#scheme', 'A');
  await page.fill('#eta_A', '-1/2');
  const cli = cliJson('gamma', 'predict', '--scheme', 'A', '--eta', '-1/2', '--json');
  await eventually(async () => {
    const shown = await page.evaluate(() => {
      const steps = [...document.querySelectorAll('#exponent-table thead th')].slice(1).map((th) => th.textContent);
      const cells = {};
      for (const td of document.querySelectorAll('#exponent-table td[data-key]'))
        if (!td.classList.contains('absent')) cells[`${td.dataset.key}@${td.dataset.t}`] = td.textContent;
      return { steps, cells };
    });
    const expected = {};
    for (const step of cli.steps) for (const [key, value] of Object.entries(step.exponents)) expected[`${key}@${step.t}`] = value;
    assert.deepEqual(shown.steps, cli.steps.map((s) => `t=${s.t}`));
    assert.deepEqual(shown.cells, expected);
  });
  assert.match(await text('#max-stable'), /-1\/2 \(attained\)/);
  assert.match(page.url(), /scheme=A/);
  assert.match(page.url(), /eta=-1\/2/);
  // A cell's derivation, as explain has it.
  await page.click('#exponent-table td[data-key=Z_A][data-t="2"] button');
  await eventually(async () => assert.match(await text('#derivation h3'), /γ\[Z_A\] at t = 2/));
  const explain = cliJson('gamma', 'explain', '--scheme', 'A', '--eta', '-1/2', '--json');
  const line = explain.derivation.find((l) => l.t === 2 && l.quantity === 'Z_A');
  assert.match(await text('#derivation li.this'), new RegExp(line.result.replace(/[/()+]/g, '\\$&')));
  await page.screenshot({ path: path.join(shots, 'serve-explorer.png'), fullPage: true });
});

test('switching to Init[B] changes the verdicts to Theorem 2\'s', async () => {
  await ready(`${base}/?scheme=A&eta=-1/2`);
  await eventually(async () => assert.equal(await text('#verdict-table tr[data-verdict=stable] td'), 'yes'));
  await page.selectOption('#scheme', 'B');
  const solve = cliJson('gamma', 'solve', '--scheme', 'B', '--json');
  assert.equal(solve.verdicts.every_step.stable, '(-inf, -1]');
  await eventually(async () => {
    const rows = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#solve-table tbody tr')]
      .map((tr) => [tr.dataset.verdict, [...tr.querySelectorAll('td')].map((td) => td.textContent)])));
    for (const [key, every] of Object.entries(solve.verdicts.every_step))
      assert.deepEqual(rows[key], [every, solve.verdicts.from_settled[key]], key);
  });
  // At γ[η] = -1/2, above Init[B]'s bound of -1: not stable.
  assert.equal(await text('#verdict-table tr[data-verdict=stable] td'), 'no');
  assert.match(await text('#solve-note'), /-1 \(attained\)/);
});

test('clicking the phase diagram sets γ[η_A] and γ[η_B]; the arrow keys move the point', async () => {
  await ready(`${base}/?scheme=A&eta=-1/2`);
  await page.waitForSelector('#phase-plot-area');
  await page.locator('#phase-diagram').scrollIntoViewIfNeeded();
  const box = await page.locator('#phase-plot-area').boundingBox();
  // The box is [-2, 1]²: the point (-1, 0) lies a third of the way from the top left corner.
  await page.mouse.click(box.x + box.width / 3, box.y + box.height / 3);
  await eventually(async () => {
    assert.equal(await page.inputValue('#eta_A'), '-1');
    assert.equal(await page.inputValue('#eta_B'), '0');
    assert.equal(await page.isChecked('#linked'), false);
    assert.match(await text('#description'), /γ\[η_A\] = -1, γ\[η_B\] = 0/);
  });
  assert.match(page.url(), /eta_A=-1&eta_B=0/);
  await page.focus('#phase-diagram');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await eventually(async () => {
    assert.equal(await page.inputValue('#eta_A'), '-7/8');
    assert.equal(await page.inputValue('#eta_B'), '-1/8');
    assert.match(await text('#description'), /γ\[η_A\] = -7\/8, γ\[η_B\] = -1\/8/);
  });
});

test('a malformed exponent shows the engine\'s message next to its field', async () => {
  await ready(`${base}/?scheme=A&eta_A=-1&eta_B=0`);
  await page.fill('#eta_A', '-3/');
  const cli = gammalab('gamma', 'predict', '--scheme', 'A', '--eta-A', '-3/', '--eta-B', '0');
  assert.equal(cli.status, 2);
  const message = cli.stderr.trim().replace(/^gammalab: /, '');
  await eventually(async () => assert.equal(await text('#error-eta_A'), message));
  assert.equal(await page.getAttribute('#eta_A', 'aria-invalid'), 'true');
  await page.fill('#eta_A', '-3/4');
  await eventually(async () => assert.equal(await text('#error-eta_A'), ''));
});

test('large text, and the form by keyboard alone', async () => {
  await ready(`${base}/`);
  await page.focus('#large-text');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('large')), true);
  assert.match(page.url(), /large=1/);
  await page.focus('#slider-eta_A');
  await page.keyboard.press('ArrowLeft');
  await eventually(async () => assert.equal(await page.inputValue('#eta_A'), '-5/8'));
  await eventually(async () => assert.match(await text('#description'), /γ\[η_A\] = -5\/8, γ\[η_B\] = -5\/8/));
});

test('a tiny sweep\'s result directory shows its figure and verdicts; a running one its progress', async () => {
  await ready(`${base}/?view=results&dir=fig2-tiny`);
  await page.waitForSelector('#slopes');
  await page.waitForFunction(() => { const img = document.querySelector('#result img'); return img && img.complete && img.naturalWidth > 0; });
  const summary = JSON.parse(fs.readFileSync(path.join(results, 'fig2-tiny', 'summary.json'), 'utf8'));
  const last = summary.horizons[summary.horizons.length - 1];
  for (const arm of summary.schemes) {
    const internal = arm.stability.find((m) => m.criterion === 'internal' && m.horizon === last);
    for (const [which, slope] of [['optimal', arm.slopes.optimal], ['max_stable', arm.slopes.max_stable], ['internal', internal.slope]]) {
      const cells = await page.locator(`#slopes tr[data-scheme="${arm.scheme}"][data-readout="${arm.readout}"][data-which=${which}] td`).allTextContents();
      assert.equal(cells[8], slope.verdict_network, `${arm.scheme} ${which}`);
      assert.equal(cells[7], `${slope.bound} n^${slope.engine.exact}`);  // the bound the measurement sees, not always the smaller one
    }
  }
  assert.match(await text('#progress-text'), /complete: 48 of 48 configurations/);
  await page.screenshot({ path: path.join(shots, 'serve-results.png'), fullPage: true });

  await ready(`${base}/?view=results&dir=running-sweep`);
  await eventually(async () => assert.equal(await text('#progress-text'), 'running: 3 of 10 configurations'));
  fs.appendFileSync(path.join(results, 'running-sweep', 'runs.csv'), '3,A\n4,A\n');
  await eventually(async () => assert.equal(await text('#progress-text'), 'running: 5 of 10 configurations'), 8000);
});

function rawGet(rawPath) {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    http.get({ host: url.hostname, port: url.port, path: rawPath }, (response) => {
      let body = '';
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    }).on('error', reject);
  });
}

test('a request for ../ outside the results folder is refused', async () => {
  const figure = await rawGet('/files/fig2-tiny/figures/lr_vs_width.png');
  assert.equal(figure.status, 200);
  for (const attempt of ['/files/../outside.txt', '/files/fig2-tiny/../../outside.txt', '/files/%2e%2e/outside.txt',
    '/files/..%2Foutside.txt', '/files/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '/files//etc/passwd', '/api/result?name=..',
    '/api/result?name=..%2F..', '/api/result?name=%2Fetc', '/files/fig2-tiny/../../../../../../etc/passwd']) {
    const reply = await rawGet(attempt);
    assert.ok(reply.status === 404 || reply.status === 400, `${attempt}: ${reply.status}`);
    assert.doesNotMatch(reply.body, /SECRET|root:/, attempt);
  }
  // The page, asked for a directory outside, says so.
  await ready(`${base}/?view=results&dir=..`);
  await eventually(async () => assert.match(await text('#result .error'), /is not a result directory/));
  const api = await rawGet('/api/engine?scheme=A&eta=-3/');
  assert.equal(api.status, 400);
  assert.equal(JSON.parse(api.body).field, 'eta');
});
