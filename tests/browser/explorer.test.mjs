// Browser tests of `gammalab serve`: the real program on a free loopback port, Debian's
// chromium driven headless by playwright-core. Run by ctest (tests/CMakeLists.txt) as
//   GAMMALAB_BINARY=build/gammalab node tests/browser/explorer.test.mjs
// Skips (exit 77) only when chromium cannot start here, and never on CI (CI=true).
// Screenshots go to $GAMMALAB_SCREENSHOTS (default: a temporary folder); with
// GAMMALAB_UPDATE_SCREENSHOTS=1 also to docs/, where the README shows them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../serve/serve_process.mjs';

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

// A result directory made by a tiny fig2 (with its figure): both readouts, 300 steps,
// widths 100 (no power of two) and 4096, and edge refinement; and one still "running".
const results = path.join(scratch, 'results');
const tinyWidths = [16, 100, 4096];
function tinyResults() {
  const home = path.join(scratch, 'home');
  fs.mkdirSync(path.join(home, 'experiments'), { recursive: true });
  fs.symlinkSync(path.join(source, 'plots'), path.join(home, 'plots'));
  fs.writeFileSync(path.join(home, 'experiments', 'fig2-quick.toml'),
    `[sweep]\nname = "fig2"\nscale = "quick"\nwidths = [${tinyWidths.join(', ')}]\nseeds = 2\nschemes = ["A", "B"]\nsteps = 300\n` +
    '[learning_rate]\nvalues = [0.001, 0.01, 0.1, 1.0]\nedge_precision = 0.5\n[data]\ntrain_size = 32\ntest_size = 8\nteacher_width = 32\n' +
    '[model]\nreadout = ["sp", "mup"]\n');
  fs.mkdirSync(results);
  const outcome = gammalab('reproduce', 'fig2', '--scale', 'quick', '--home', home, '-o', path.join(results, 'fig2-tiny'));
  assert.equal(outcome.status, 0, outcome.stdout + outcome.stderr);
  const running = path.join(results, 'running-sweep');
  fs.mkdirSync(running);
  // The tiny fig2's manifest (it must hold to its schema), as a sweep of 10 still running.
  const { checksums, wall_seconds, ...written } = JSON.parse(fs.readFileSync(path.join(results, 'fig2-tiny', 'manifest.json'), 'utf8'));
  fs.writeFileSync(path.join(running, 'manifest.json'), JSON.stringify({ ...written, status: 'running', configurations: 10 }));
  fs.writeFileSync(path.join(running, 'runs.csv'), 'id,scheme\n0,A\n1,A\n2,A\n');
  // The tiny fig2 again, its summary.json with a field its schema does not name.
  const tampered = path.join(results, 'tampered');
  fs.cpSync(path.join(results, 'fig2-tiny'), tampered, { recursive: true });
  const summary = JSON.parse(fs.readFileSync(path.join(tampered, 'summary.json'), 'utf8'));
  summary.schemes[0].not_a_field = 1;
  fs.writeFileSync(path.join(tampered, 'summary.json'), JSON.stringify(summary));
  fs.writeFileSync(path.join(scratch, 'outside.txt'), 'SECRET outside the results folder\n');
}

let server, base, page;
const consoleErrors = [];

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
  let port;
  ({ server, port } = await startServer(binary, results));
  base = `http://127.0.0.1:${port}`;
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

// The rows of a results-view table on the page, as {column key: text}: its cells, and
// the columns said once above it because every row has the same value.
function viewRows(table) {
  return page.evaluate((id) => {
    const same = Object.fromEntries([...document.querySelectorAll(`#${id}-same [data-key]`)].map((span) => [span.dataset.key, span.dataset.text]));
    return [...document.querySelectorAll(`#${id} tbody tr`)].map((tr) =>
      ({ ...same, ...Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.key, td.textContent])) }));
  }, `view-${table}`);
}
// runs.csv's rows per refinement round (0: the grid), counted here from the file.
function runsPerRound(directory) {
  const [header, ...rows] = fs.readFileSync(path.join(directory, 'runs.csv'), 'utf8').trim().split('\n');
  const round = header.split(',').indexOf('round');
  const counts = new Map();
  for (const row of rows) { const k = Number(row.split(',')[round]); counts.set(k, (counts.get(k) || 0) + 1); }
  return counts;
}
// A number as a person reads it, written out here apart from the page's: whole numbers
// as they are, rates with 3 significant digits.
const rateText = (rate) => { const [m, e] = rate.toExponential(2).split('e'); return `${m}e${Number(e)}`; };

test('a tiny sweep\'s result directory shows its figure, its numbers as numbers and every arm\'s verdicts', async () => {
  const directory = path.join(results, 'fig2-tiny');
  await ready(`${base}/?view=results&dir=fig2-tiny`);
  await page.waitForSelector('#view-slopes');
  await page.waitForFunction(() => { const img = document.querySelector('#result img'); return img && img.complete && img.naturalWidth > 0; });
  // The spec as run, a table: steps 300 reads "300", the widths as whole numbers ("100, 4096"), the rates as rates.
  assert.equal(await text('#spec tr[data-key=steps] td'), '300');
  assert.equal(await text('#spec tr[data-key=widths] td'), tinyWidths.join(', '));
  assert.equal(await text('#spec tr[data-key=values] td'), '1.00e-3, 1.00e-2, 1.00e-1, 1.00e0');
  assert.equal(await text('#manifest tr[data-key=configurations] td'), String(2 * 2 * 2 * 3 * 4));
  assert.equal(await page.locator('#result pre').count(), 0, 'the spec is not dumped as text');
  // The progress counts the grid against the grid and the refinement runs after it.
  const perRound = runsPerRound(directory);
  const grid = perRound.get(0), refined = [...perRound].filter(([k]) => k > 0);
  assert.equal(grid, 2 * 2 * 2 * 3 * 4);  // seeds × schemes × readouts × widths × rates
  assert.ok(refined.length > 0, 'the tiny sweep refines its edges');
  const refinedRuns = refined.reduce((sum, [, n]) => sum + n, 0);
  assert.equal(await text('#progress-text'),
    `complete: ${grid} of ${grid} configurations of the grid, then ${refinedRuns} refinement runs in ${refined.length} round${refined.length === 1 ? '' : 's'}`);

  // The slopes: one row per (arm, measure), sp and μP apart, as summary.json has them.
  const summary = JSON.parse(fs.readFileSync(path.join(directory, 'summary.json'), 'utf8'));
  const slopes = await viewRows('slopes');
  const last = summary.horizons[summary.horizons.length - 1];
  for (const arm of summary.schemes) {
    const internal = arm.stability.find((m) => m.criterion === 'internal' && m.horizon === last);
    for (const [measure, slope] of [['optimal η', arm.slopes.optimal], ['max stable η (internal)', internal.slope]]) {
      const shown = slopes.filter((r) => r.scheme === arm.scheme && r.readout === arm.readout && r.measure === measure && r.axis === 'width' &&
        (measure === 'optimal η' || r.horizon === String(last)));
      assert.equal(shown.length, 1, `${arm.scheme} ${arm.readout} ${measure}`);
      assert.equal(shown[0].verdict, slope.verdict_network);
      assert.equal(shown[0].engine, slope.engine.exact);
      assert.equal(shown[0].bound, slope.bound);
      const signed = (x) => x === null ? '—' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
      assert.equal(shown[0].slope, signed(slope.slope));
      // The three-way verdict with its margin, the trend with its curvature, γ∞ with its interval.
      assert.ok(['agrees', 'departs', 'inconclusive', 'undetermined'].includes(shown[0].verdict));
      assert.equal(shown[0].margin, `±${slope.margin}`);
      assert.equal(shown[0].trend, slope.finite_width.verdict);
      assert.equal(shown[0].curvature, signed(slope.finite_width.curvature));
      const infinite = slope.infinite_width;
      assert.equal(shown[0].gamma_infinity, infinite === null ? '—' : signed(infinite.gamma));
      assert.equal(shown[0].gamma_infinity_low, infinite === null || infinite.interval === null ? '—' : signed(infinite.interval[0]));
      // An interval wider than twice the margin cannot agree.
      if (slope.interval !== null && slope.interval[1] - slope.interval[0] > 2 * slope.margin) assert.notEqual(shown[0].verdict, 'agrees');
    }
  }
  assert.deepEqual(new Set(slopes.map((r) => r.readout)), new Set(['sp', 'mup']));
  // The estimates per width: whole widths, rates with 3 digits.
  const widths = await viewRows('widths');
  assert.equal(widths.length, 2 * 2 * tinyWidths.length);
  assert.deepEqual(widths.filter((r) => r.scheme === 'A' && r.readout === 'sp').map((r) => r.width), tinyWidths.map(String));
  const firstArm = summary.schemes[0];
  for (const [i, w] of firstArm.widths.entries())
    assert.equal(widths[i].max_stable_lr, w.max_stable_lr === null ? '—' : rateText(w.max_stable_lr));
  // Said once: the columns alike in every row (one rank, one multiplier, no σ).
  assert.equal(await text('#view-slopes-same [data-key=rank]'), 'rank: 4');
  assert.equal(await page.locator('#view-slopes th[data-key=rank]').count(), 0);
  // At 1400 px the page does not run off to the right: the tables scroll in their box.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the page is wider than the window');
  await page.locator('#view-slopes').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, 'serve-results.png') });
});

test('a document with a field its schema does not name is not shown, and the page says which', async () => {
  await ready(`${base}/?view=results&dir=tampered`);
  await eventually(async () => assert.match(await text('#result li'), /^summary\.json: \$\.schemes\[0\]\.not_a_field: not a field of this document$/));
  assert.equal(await page.locator('#view-slopes').count(), 0, 'no table of the tampered summary');
});

test('a running sweep shows its progress, updated as runs arrive', async () => {
  await ready(`${base}/?view=results&dir=running-sweep`);
  await eventually(async () => assert.equal(await text('#progress-text'), 'running: 3 of 10 configurations'));
  fs.appendFileSync(path.join(results, 'running-sweep', 'runs.csv'), '3,A\n4,A\n');
  await eventually(async () => assert.equal(await text('#progress-text'), 'running: 5 of 10 configurations'), 8000);
});

test('gammalab report sets every arm apart: sp and μP rows, the stability slopes', async () => {
  const report = path.join(scratch, 'report.html');
  const outcome = gammalab('report', path.join(results, 'fig2-tiny'), '-o', report);
  assert.equal(outcome.status, 0, outcome.stderr);
  await page.goto(`file://${report}`);
  const rows = await page.evaluate(() => [...document.querySelectorAll('table[data-table=slopes] tbody tr')].map((tr) =>
    Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.key, td.textContent]))));
  const optimalA = rows.filter((r) => r.scheme === 'A' && r.measure === 'optimal η');
  assert.deepEqual(optimalA.map((r) => r.readout).sort(), ['mup', 'sp']);  // two rows, told apart by their readout
  assert.ok(rows.some((r) => r.measure === 'max stable η (internal)'), 'the internal criterion\'s slopes');
  assert.ok(rows.some((r) => r.measure === 'max stable η (output)'), 'the output criterion\'s slopes');
  const key = (r) => `${r.readout} ${r.scheme} ${r.sigma} ${r.rank} ${r.multiplier} ${r.axis} ${r.at} ${r.measure} ${r.horizon}`;
  assert.equal(new Set(rows.map(key)).size, rows.length, 'every row is one arm and measure');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the report is wider than the window');
});

test('Init[A] under rsLoRA with ρ = 1/2: the engine\'s maximal stable γ[η], and its rules for this ρ', async () => {
  const solve = cliJson('gamma', 'solve', '--scheme', 'A', '--multiplier', 'rslora', '--rho', '1/2', '--json');
  await ready(`${base}/?scheme=A&eta=-1/2`);
  await page.fill('#rho', '1/2');
  await page.fill('#multiplier', 'rslora');
  await eventually(async () => assert.equal(await text('#solve-note'),
    `maximal stable γ[η] (every step): ${solve.max_stable.value} (${solve.max_stable.attained ? 'attained' : 'not attained'})`));
  assert.equal(solve.max_stable.value, '-5/8');
  assert.match(page.url(), /rho=1\/2/);
  assert.match(page.url(), /multiplier=rslora/);
  await page.click('#exponent-table td[data-key=Z_B][data-t="1"] button');
  await eventually(async () => {
    const rules = await page.locator('#rules li').allTextContents();
    assert.ok(rules.some((rule) => /a sum over the rank r = n\^ρ \(here ρ = 1\/2\) adds 1\/2 when .* and 1\/4 when/.test(rule)), rules.join('\n'));
    assert.ok(rules.every((rule) => !/adds nothing/.test(rule)));
  });
  await page.fill('#rho', '1');
  await eventually(async () => assert.match(await text('#error-rho'), /ρ/));
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

test('the deep MLP view shows gamma mlp\'s exponents per layer group, and a malformed exponent\'s message by its field', async () => {
  await ready(`${base}/?view=mlp&mlp_parametrization=sp&mlp_optimizer=sgd`);
  const shownGroups = () => page.evaluate(() => {
    const groups = {};
    for (const tr of document.querySelectorAll('#mlp-table tbody tr')) {
      groups[tr.dataset.group] = {};
      for (const td of tr.querySelectorAll('td[data-key]')) groups[tr.dataset.group][td.dataset.key] = td.textContent;
    }
    return groups;
  });
  const expected = (cli) => Object.fromEntries(['input', 'hidden', 'readout'].map((g) => [g, {
    a: cli.groups[g].a, b: cli.groups[g].b, c: cli.groups[g].c, stable: cli.groups[g].stable ? 'yes' : 'no',
    feature_learning: cli.groups[g].feature_learning ? 'yes' : 'no', max_stable: cli.groups[g].max_stable,
    stable_region: cli.groups[g].stable_region, binding: cli.groups[g].binding.join('; ') }]));
  const sp = cliJson('gamma', 'mlp', '--parametrization', 'sp', '--optimizer', 'sgd', '--json');
  assert.equal(sp.groups.hidden.max_stable, '-1');  // standard parametrization under SGD: the hidden rate must fall as 1/n
  await eventually(async () => assert.deepEqual(await shownGroups(), expected(sp)));
  assert.match(await text('#mlp-summary'), /stable no, feature learning no, r = none/);
  await page.selectOption('#mlp-parametrization', 'mup');
  await page.selectOption('#mlp-optimizer', 'adam');
  const mup = cliJson('gamma', 'mlp', '--parametrization', 'mup', '--optimizer', 'adam', '--json');
  await eventually(async () => assert.deepEqual(await shownGroups(), expected(mup)));
  assert.match(await text('#mlp-summary'), /stable yes, feature learning yes, r = 0;/);
  assert.match(page.url(), /mlp_parametrization=mup/);
  await page.fill('#mlp-a', '1/');
  const cli = gammalab('gamma', 'mlp', '--parametrization', 'mup', '--optimizer', 'adam', '--a', '1/');
  assert.equal(cli.status, 2);
  await eventually(async () => assert.equal(await text('#mlp-error-a'), cli.stderr.trim().replace(/^gammalab: /, '')));
  assert.equal(await page.getAttribute('#mlp-a', 'aria-invalid'), 'true');
  await page.fill('#mlp-a', '');
  await eventually(async () => assert.equal(await text('#mlp-error-a'), ''));
});

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
