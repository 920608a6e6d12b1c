// gammalab explorer: a thin page over the program's JSON API. Every exponent shown is a
// string the engine wrote; the page never computes one. The state lives in the URL.
'use strict';

const EXPONENTS = [
  { key: 'sigma_A', label: 'γ[σ_A]', help: 'initial entries of A' },
  { key: 'sigma_B', label: 'γ[σ_B]', help: 'initial entries of B' },
  { key: 'eta_A', label: 'γ[η_A]', help: 'learning rate of A' },
  { key: 'eta_B', label: 'γ[η_B]', help: 'learning rate of B' },
  { key: 'alpha', label: 'γ[α]', help: 'adapter multiplier' },
];
const GRID = 8;                 // sliders move by 1/8
const LOW = -2, HIGH = 1;       // the phase diagram's box and the sliders' range
const SLIDER_MIN = LOW * GRID - 1;  // one notch below the box: -inf (exactly zero)
const REGION_STYLE = {          // drawn bottom to top
  stable: { fill: '#cfe3f7', stroke: '#5b8fc7', label: 'stable' },
  internal_instability: { fill: '#f6c89a', stroke: '#c9731e', label: 'internal instability' },
  feature_learning: { fill: '#9fd59f', stroke: '#2e7d32', label: 'feature learning' },
  efficient: { fill: '#6a3d9a', stroke: '#6a3d9a', label: 'efficient learning' },
};

const state = {
  view: 'engine', scheme: 'A', setting: 'module', readout: '', optimizer: 'adam', steps: '0',
  linked: true, sigma_A: '', sigma_B: '', eta_A: '-1/2', eta_B: '-1/2', alpha: '', rho: '', multiplier: '', window: 'from_settled',
  large: false, dir: '', cell: null,
  // the deep MLP view (/api/mlp), its keys in the URL prefixed "mlp_"
  mlp: { parametrization: 'mup', optimizer: 'sgd', alignment: 'full', layers: '3', a: '', b: '', c: '' },
};
const MLP_FIELDS = ['parametrization', 'optimizer', 'alignment', 'layers', 'a', 'b', 'c'];
let vocabulary = null;
let answer = null;       // the last good /api/engine reply
let engineTimer = null;
let resultTimer = null;
let mlpTimer = null;

const $ = (id) => document.getElementById(id);
function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}
function svgElement(tag, attributes = {}) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

// ---- exact rationals as the engine writes them, read only to place things on screen
function approximate(text) {
  if (text === undefined || text === null) return NaN;
  const t = String(text).trim();
  if (t === '-inf' || t === 'zero') return -Infinity;
  const m = /^([+-]?\d+)\/(\d+)$/.exec(t);
  if (m) return Number(m[1]) / Number(m[2]);
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return Number(t);
  return NaN;
}
function gcd(a, b) { a = Math.abs(a); b = Math.abs(b); while (b) [a, b] = [b, a % b]; return a || 1; }
function gridText(k) {  // k/GRID reduced, as the engine writes rationals
  if (k < LOW * GRID) return '-inf';
  const d = gcd(k, GRID);
  return GRID / d === 1 ? String(k / d) : `${k / d}/${GRID / d}`;
}
function gridIndex(text) {
  const v = approximate(text);
  if (v === -Infinity) return SLIDER_MIN;
  if (Number.isNaN(v)) return null;
  return Math.max(LOW * GRID, Math.min(HIGH * GRID, Math.round(v * GRID)));
}

// ---- the URL
function readUrl() {
  const p = new URLSearchParams(location.search);
  for (const key of ['view', 'scheme', 'setting', 'readout', 'optimizer', 'steps', 'sigma_A', 'sigma_B', 'alpha', 'rho', 'multiplier', 'window', 'dir'])
    if (p.has(key)) state[key] = p.get(key);
  for (const key of MLP_FIELDS) if (p.has(`mlp_${key}`)) state.mlp[key] = p.get(`mlp_${key}`);
  if (p.has('eta')) { state.linked = true; state.eta_A = state.eta_B = p.get('eta'); }
  else if (p.has('eta_A') || p.has('eta_B')) {
    state.linked = false; state.eta_A = p.get('eta_A') || ''; state.eta_B = p.get('eta_B') || '';
  }
  state.large = p.get('large') === '1';
}
function writeUrl() {
  const p = new URLSearchParams();
  if (state.view !== 'engine') p.set('view', state.view);
  for (const [key, value] of Object.entries(engineQuery())) p.set(key, value);
  if (state.window !== 'from_settled') p.set('window', state.window);
  if (state.view === 'mlp') for (const [key, value] of Object.entries(mlpQuery())) p.set(`mlp_${key}`, value);
  if (state.dir) p.set('dir', state.dir);
  if (state.large) p.set('large', '1');
  history.replaceState(null, '', `${location.pathname}?${p.toString().replace(/%2F/g, '/')}`);
}
function engineQuery() {
  const q = { scheme: state.scheme, setting: state.setting };
  if (state.setting === 'network' && state.readout) q.readout = state.readout;
  q.optimizer = state.optimizer;
  if (state.steps && state.steps !== '0') q.steps = state.steps;
  for (const key of ['sigma_A', 'sigma_B']) if (state[key] !== '') q[key] = state[key];
  if (state.linked) { if (state.eta_A !== '') q.eta = state.eta_A; }
  else { if (state.eta_A !== '') q.eta_A = state.eta_A; if (state.eta_B !== '') q.eta_B = state.eta_B; }
  for (const key of ['alpha', 'rho', 'multiplier']) if (state[key] !== '') q[key] = state[key];
  return q;
}

// ---- the form
function fillSelect(select, terms, value) {
  select.replaceChildren(...terms.map((t) => element('option', { value: t.name, text: t.title === t.name ? t.name : `${t.name} — ${t.title}` })));
  select.value = value;
}
function schemeOf(name) { return vocabulary.schemes.find((s) => s.name === name); }

function buildForm() {
  fillSelect($('scheme'), vocabulary.schemes.map((s) => ({ name: s.name, title: s.title })), state.scheme);
  fillSelect($('setting'), vocabulary.settings, state.setting);
  fillSelect($('readout'), vocabulary.readouts, state.readout || 'sp');
  fillSelect($('optimizer'), vocabulary.optimizers, state.optimizer);
  $('multipliers').replaceChildren(...vocabulary.multipliers.map((m) => element('option', { value: m.name, label: m.title })));
  $('multiplier').title = vocabulary.multiplier_forms;
  $('rho').title = vocabulary.rho_forms;
  $('steps').value = state.steps;
  const fieldset = $('exponents');
  for (const { key, label, help } of EXPONENTS) {
    const slider = element('input', { type: 'range', id: `slider-${key}`, min: SLIDER_MIN, max: HIGH * GRID, step: 1,
      'aria-label': `${label} on the grid`, 'aria-describedby': `error-${key}` });
    const text = element('input', { type: 'text', id: key, name: key, spellcheck: 'false', size: 8,
      'aria-describedby': `error-${key}` });
    const row = element('div', { class: 'field exponent', id: `row-${key}` },
      element('label', { for: key }, element('span', { class: 'symbol', text: label }), element('span', { class: 'hint', text: ` ${help}` })),
      slider, text, element('span', { class: 'error', id: `error-${key}`, role: 'alert' }));
    fieldset.append(row);
    slider.addEventListener('input', () => {
      setExponent(key, gridText(Number(slider.value)));
      text.value = state[key];
      changed();
    });
    text.addEventListener('input', () => {
      setExponent(key, text.value.trim());
      placeSlider(key);
      changed();
    });
  }
  for (const id of ['scheme', 'setting', 'readout', 'optimizer']) {
    $(id).addEventListener('change', () => {
      state[id] = $(id).value;
      if (id === 'setting' && state.setting === 'network' && !state.readout) state.readout = $('readout').value;
      if (id === 'scheme' && state.scheme !== 'custom') state.sigma_A = state.sigma_B = '';
      syncForm();
      changed();
    });
  }
  $('steps').addEventListener('input', () => { state.steps = $('steps').value.trim() || '0'; changed(); });
  for (const id of ['rho', 'multiplier']) $(id).addEventListener('input', () => { state[id] = $(id).value.trim(); changed(); });
  $('linked').addEventListener('change', () => {
    state.linked = $('linked').checked;
    if (state.linked) state.eta_B = state.eta_A;
    syncForm();
    changed();
  });
  $('model-form').addEventListener('submit', (event) => event.preventDefault());
}
function setExponent(key, value) {
  state[key] = value;
  if (state.linked && key === 'eta_A') state.eta_B = value;
  if (state.linked && key === 'eta_B') state.eta_A = value;
  if (state.linked) for (const k of ['eta_A', 'eta_B']) if (k !== key) { $(k).value = value; placeSlider(k); }
}
function shownValue(key) {  // what a slider shows when its field is empty: the default
  if (state[key] !== '') return state[key];
  if (key === 'alpha') return '0';
  const scheme = schemeOf(state.scheme);
  return scheme && scheme[key] ? scheme[key] : '';
}
function placeSlider(key) {
  const index = gridIndex(shownValue(key));
  if (index !== null) $(`slider-${key}`).value = index;
}
function syncForm() {
  for (const id of ['scheme', 'setting', 'optimizer']) $(id).value = state[id];
  $('readout').value = state.readout || 'sp';
  $('readout').disabled = state.setting !== 'network';
  $('steps').value = state.steps;
  $('rho').value = state.rho;
  $('multiplier').value = state.multiplier;
  $('linked').checked = state.linked;
  const scheme = schemeOf(state.scheme);
  for (const { key } of EXPONENTS) {
    $(key).value = state[key];
    let placeholder = '';
    if ((key === 'sigma_A' || key === 'sigma_B') && scheme && scheme[key]) placeholder = `${scheme[key]} (${scheme.title})`;
    if (key === 'alpha') placeholder = '0';
    if (key.startsWith('eta')) placeholder = 'free';
    $(key).placeholder = placeholder;
    placeSlider(key);
  }
  $('row-eta_B').classList.toggle('linked', state.linked);
  $('eta_B').readOnly = state.linked;
  $('slider-eta_B').disabled = state.linked;
  document.documentElement.classList.toggle('large', state.large);
  $('large-text').setAttribute('aria-pressed', String(state.large));
  for (const input of document.querySelectorAll('input[name=window]')) input.checked = input.value === state.window;
}
function changed() {
  writeUrl();
  clearTimeout(engineTimer);
  engineTimer = setTimeout(askEngine, 120);
}

// ---- asking the program
// The JSON reply to the latest request of a series ('engine', 'mlp'): null when a later
// request of the series superseded it; { ok: false, body: { error } } when the server did
// not answer.
const inFlight = {};
async function latestReply(series, url) {
  if (inFlight[series]) inFlight[series].abort();
  const controller = new AbortController();
  inFlight[series] = controller;
  let outcome;
  try {
    const reply = await fetch(url, { signal: controller.signal });
    outcome = { ok: reply.ok, body: await reply.json() };
  } catch (error) {
    if (error.name === 'AbortError') return null;
    outcome = { ok: false, body: { error: `the server did not answer: ${error.message}` } };
  }
  if (inFlight[series] !== controller) return null;
  delete inFlight[series];
  return outcome;
}
// A form's messages: each field's beside it (an element `${prefix}error-${field}`, the
// field itself `${prefix}${field}`), a message about no field in `${prefix}error-general`.
function clearErrors(form) {
  for (const node of document.querySelectorAll(`#${form} .error`)) node.textContent = '';
  for (const node of document.querySelectorAll(`#${form} [aria-invalid]`)) node.removeAttribute('aria-invalid');
}
function showError(prefix, field, message) {
  const target = field && $(`${prefix}error-${field}`) ? field : 'general';
  $(`${prefix}error-${target}`).textContent = message;
  if (field && $(`${prefix}${field}`)) $(`${prefix}${field}`).setAttribute('aria-invalid', 'true');
}

// ---- the engine
async function askEngine() {
  const outcome = await latestReply('engine', `/api/engine?${new URLSearchParams(engineQuery())}`);
  if (!outcome) return;
  clearErrors('model-form');
  document.body.classList.toggle('stale', !outcome.ok);
  if (!outcome.ok) { showError('', outcome.body.field, outcome.body.error); return; }
  answer = outcome.body;
  drawEngine();
}

function cellText(value) {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  if (Array.isArray(value)) return value.length === 0 ? 'empty' : value.map((piece) => `{${piece.join(', ')}}`).join(' ∪ ');
  return value === null || value === undefined ? '—' : String(value);
}
function verdictRows(verdicts) {
  const rows = [];
  for (const kind of vocabulary.verdicts) {
    const every = verdicts.every_step, later = verdicts.from_settled;
    if (!(kind.key in every)) continue;
    rows.push({ kind, every: every[kind.key], later: later ? later[kind.key] : undefined });
  }
  return rows;
}
function drawVerdictTable(table, verdicts, settledFrom) {
  const laterTitle = verdicts.from_settled ? `from step ${settledFrom} on` : '(not settled)';
  const head = element('tr', {}, element('th', { scope: 'col', text: 'verdict' }), element('th', { scope: 'col', text: 'at every step' }),
    element('th', { scope: 'col', text: laterTitle }));
  const rows = verdictRows(verdicts).map(({ kind, every, later }) => {
    const label = (kind.is_bound ? 'of which ' : '') + kind.label;
    const cell = (value) => element('td', { class: `verdict v-${cellText(value) === 'yes' ? 'yes' : cellText(value) === 'no' ? 'no' : 'region'}`,
      'data-verdict': kind.key, text: cellText(value) });
    return element('tr', { 'data-verdict': kind.key, class: kind.is_bound ? 'bound' : '' },
      element('th', { scope: 'row', text: label }), cell(every), later === undefined ? element('td', { text: '—' }) : cell(later));
  });
  table.replaceChildren(element('thead', {}, head), element('tbody', {}, ...rows));
}

function drawEngine() {
  const predict = answer.predict;
  $('description').textContent = answer.description;
  // the exponent table, exactly as predict --json has it
  const steps = predict.steps;
  const present = new Set(steps.flatMap((s) => Object.keys(s.exponents)));
  const quantities = answer.quantities.filter((q) => present.has(q.key));
  const head = element('tr', {}, element('th', { scope: 'col', text: 'quantity' }),
    ...steps.map((s) => element('th', { scope: 'col', text: `t=${s.t}` })));
  const body = quantities.map((q) => element('tr', { 'data-key': q.key },
    element('th', { scope: 'row', title: q.meaning, text: q.symbol }),
    ...steps.map((s) => {
      const value = s.exponents[q.key];
      if (value === undefined) return element('td', { class: 'absent', 'data-key': q.key, 'data-t': s.t, text: '·' });
      const selected = state.cell && state.cell.key === q.key && state.cell.t === s.t;
      return element('td', { 'data-key': q.key, 'data-t': s.t },
        element('button', { type: 'button', class: selected ? 'cell selected' : 'cell', 'aria-label': `γ[${q.symbol}] at t=${s.t}: ${value}; show its derivation`,
          onclick: () => { state.cell = { key: q.key, t: s.t }; drawEngine(); $('derivation').scrollIntoView({ block: 'nearest' }); }, text: value }));
    })));
  $('exponent-table').replaceChildren(element('thead', {}, head), element('tbody', {}, ...body));
  $('settled').textContent = predict.settled_from === null
    ? `The exponents were still changing at step ${predict.horizon}.`
    : `The exponents settle from step ${predict.settled_from} on. −inf: exactly zero; · updates start at t=1.`;

  drawVerdictTable($('verdict-table'), predict.verdicts, predict.settled_from);
  const top = predict.max_stable_eta;
  $('max-stable').textContent = top ? `maximal stable γ[η] for this model (every step): ${top.value} (${top.attained ? 'attained' : 'not attained'})` : '';
  const binding = predict.verdicts.every_step.binding;
  $('binding').textContent = binding ? `stability binds on: ${binding}` : 'stability: Z_B bounded (the module setting has one bound)';

  const solve = answer.solve;
  if (solve.error) { $('solve-table').replaceChildren(); $('solve-note').textContent = solve.error; }
  else {
    drawVerdictTable($('solve-table'), solve.verdicts, solve.settled_from);
    const m = solve.max_stable;
    $('solve-note').textContent = m ? `maximal stable γ[η] (every step): ${m.value} (${m.attained ? 'attained' : 'not attained'})` : 'no maximal stable γ[η]';
  }
  drawPhase();
  drawDerivation();
}

function drawDerivation() {
  const target = $('derivation');
  if (!state.cell || !answer) return;
  const quantity = answer.quantities.find((q) => q.key === state.cell.key);
  const lines = answer.explain.derivation.filter((line) => line.t === state.cell.t);
  if (!quantity || lines.length === 0) {
    target.replaceChildren(element('p', { class: 'note', text: 'Select a cell of the exponent table.' }));
    return;
  }
  const heading = element('h3', { text: `γ[${quantity.symbol}] at t = ${state.cell.t}${state.cell.t === 0 ? ' (initialisation)' : ''}` });
  const list = element('ol', { class: 'derivation' }, ...lines.map((line) =>
    element('li', { class: line.quantity === quantity.symbol ? 'this' : '' },
      element('span', { class: 'quantity', text: line.quantity }), ': ', element('span', { text: line.equation }),
      element('div', { class: 'rule' }, element('span', { text: line.rule }), ' ⇒ γ = ', element('strong', { text: line.result })))));
  // The engine's own rules for this model (its ρ and κ), as explain states them.
  const rules = element('div', { class: 'note' }, element('p', { text: 'Rules (the engine\'s, for this model):' }),
    element('ul', { id: 'rules' }, ...answer.explain.rules.map((rule) => element('li', { text: rule }))),
    element('p', { text: 'The step\'s other lines are shown for context.' }));
  target.replaceChildren(heading, rules, list);
}

// ---- the phase diagram: the engine's exact polygons, drawn
const PLOT = { left: 50, top: 14, size: 330 };
function toScreen(x, y) {
  return [PLOT.left + (x - LOW) / (HIGH - LOW) * PLOT.size, PLOT.top + (HIGH - y) / (HIGH - LOW) * PLOT.size];
}
function drawPhase() {
  const svg = $('phase-diagram');
  svg.replaceChildren();
  const phase = answer.phase;
  const legend = $('phase-legend');
  if (phase.error) {
    $('phase-note').textContent = phase.error;
    legend.replaceChildren();
    return;
  }
  const regions = phase[state.window] || phase.every_step;
  $('phase-note').textContent = (phase[state.window] ? '' : 'Not settled: showing every step. ') +
    'Regions clipped to [-2, 1]²; the dashed diagonal is one shared learning rate.';
  svg.append(svgElement('rect', { id: 'phase-plot-area', x: PLOT.left, y: PLOT.top, width: PLOT.size, height: PLOT.size, fill: '#fafafa', stroke: '#444' }));
  for (let k = LOW * 2; k <= HIGH * 2; k += 1) {  // grid and ticks every 1/2
    const v = k / 2;
    const [sx] = toScreen(v, 0), [, sy] = toScreen(0, v);
    svg.append(svgElement('line', { x1: sx, y1: PLOT.top, x2: sx, y2: PLOT.top + PLOT.size, stroke: '#ddd' }));
    svg.append(svgElement('line', { x1: PLOT.left, y1: sy, x2: PLOT.left + PLOT.size, y2: sy, stroke: '#ddd' }));
    const label = Number.isInteger(v) ? String(v) : `${k}/2`;
    const tx = svgElement('text', { x: sx, y: PLOT.top + PLOT.size + 16, 'text-anchor': 'middle', class: 'tick' }); tx.textContent = label; svg.append(tx);
    const ty = svgElement('text', { x: PLOT.left - 6, y: sy + 4, 'text-anchor': 'end', class: 'tick' }); ty.textContent = label; svg.append(ty);
  }
  const xl = svgElement('text', { x: PLOT.left + PLOT.size / 2, y: PLOT.top + PLOT.size + 34, 'text-anchor': 'middle', class: 'axis' }); xl.textContent = 'γ[η_A]'; svg.append(xl);
  const yl = svgElement('text', { x: 14, y: PLOT.top + PLOT.size / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 14 ${PLOT.top + PLOT.size / 2})` }); yl.textContent = 'γ[η_B]'; svg.append(yl);
  const [dx0, dy0] = toScreen(LOW, LOW), [dx1, dy1] = toScreen(HIGH, HIGH);
  svg.append(svgElement('line', { x1: dx0, y1: dy0, x2: dx1, y2: dy1, stroke: '#888', 'stroke-dasharray': '4 4' }));
  const items = [];
  for (const [key, style] of Object.entries(REGION_STYLE)) {
    const polygons = regions[key] || [];
    items.push(element('li', {}, element('span', { class: `swatch swatch-${key}` }), `${style.label}: `,
      element('span', { class: 'vertices', text: polygons.length === 0 ? 'empty' : polygons.map((p) => p.vertices.map((v) => `(${v[0]}, ${v[1]})`).join(' ')).join('; ') })));
    for (const polygon of polygons) {
      const points = polygon.vertices.map(([x, y]) => toScreen(approximate(x), approximate(y)));
      const title = svgElement('title');
      title.textContent = `${style.label}: ${polygon.vertices.map((v) => `(${v[0]}, ${v[1]})`).join(' ')}`;
      let shape;
      if (points.length >= 3) shape = svgElement('polygon', { points: points.map((p) => p.join(',')).join(' '), fill: style.fill, 'fill-opacity': key === 'stable' ? 1 : 0.85, stroke: style.stroke, 'stroke-width': 1.5 });
      else if (points.length === 2) shape = svgElement('line', { x1: points[0][0], y1: points[0][1], x2: points[1][0], y2: points[1][1], stroke: style.stroke, 'stroke-width': key === 'efficient' ? 6 : 4, 'stroke-linecap': 'round' });
      else shape = svgElement('circle', { cx: points[0][0], cy: points[0][1], r: 6, fill: style.stroke });
      shape.setAttribute('class', `region region-${key}`);
      shape.append(title);
      svg.append(shape);
    }
  }
  legend.replaceChildren(...items);
  const x = approximate(state.eta_A), y = approximate(state.linked ? state.eta_A : state.eta_B);
  if (Number.isFinite(x) && Number.isFinite(y) && x >= LOW && x <= HIGH && y >= LOW && y <= HIGH) {
    const [sx, sy] = toScreen(x, y);
    const marker = svgElement('g', { id: 'phase-point' });
    marker.append(svgElement('circle', { cx: sx, cy: sy, r: 8, fill: 'none', stroke: '#000', 'stroke-width': 3 }));
    marker.append(svgElement('circle', { cx: sx, cy: sy, r: 3, fill: '#000' }));
    const title = svgElement('title'); title.textContent = `current point (${state.eta_A}, ${state.linked ? state.eta_A : state.eta_B})`;
    marker.append(title);
    svg.append(marker);
  }
}
function movePoint(xIndex, yIndex) {
  const clamp = (k) => Math.max(LOW * GRID, Math.min(HIGH * GRID, k));
  state.linked = false;
  state.eta_A = gridText(clamp(xIndex));
  state.eta_B = gridText(clamp(yIndex));
  syncForm();
  if (answer) drawPhase();
  changed();
}
function phaseClick(event) {
  const area = $('phase-plot-area');
  if (!area) return;
  const box = area.getBoundingClientRect();
  const fx = (event.clientX - box.left) / box.width, fy = (event.clientY - box.top) / box.height;
  if (fx < -0.02 || fx > 1.02 || fy < -0.02 || fy > 1.02) return;
  movePoint(Math.round((LOW + fx * (HIGH - LOW)) * GRID), Math.round((HIGH - fy * (HIGH - LOW)) * GRID));
}
function phaseKey(event) {
  const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  const move = moves[event.key];
  if (!move) return;
  event.preventDefault();
  const x = gridIndex(state.eta_A) ?? 0, y = gridIndex(state.linked ? state.eta_A : state.eta_B) ?? 0;
  movePoint(x + move[0], y + move[1]);
}

// ---- the results browser
// A number as a person reads it: a whole number (a width, a step, a count) as it is,
// "1040"; any other with 3 significant digits, "0.999". A rate: "3.16e-3".
function number(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  const [mantissa, exponent] = value.toPrecision(3).split('e');
  const digits = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;  // 0.900 → 0.9, never 300 → 3
  return exponent === undefined ? digits : `${digits}e${Number(exponent)}`;
}
function rate(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return number(value);
  const [mantissa, exponent] = value.toExponential(2).split('e');
  return `${mantissa}e${Number(exponent)}`;
}
// A measured exponent (a coordinate check's slope): two decimals and its sign.
function measured(value) { return typeof value === 'number' ? `${value >= 0 ? '+' : ''}${value.toFixed(2)}` : number(value); }
function interval(value) { return Array.isArray(value) ? `[${measured(value[0])}, ${measured(value[1])}]` : '(none)'; }
function verdictCell(verdict) {
  const kind = verdict === 'agrees' ? 'agrees' : verdict === 'departs' ? 'departs' : 'open';
  return element('td', { class: `result-verdict ${kind}`, text: verdict ?? '—' });
}
// The grid's configurations done of its total, then the refinement's runs: a round's
// size is known only when the rounds before it are done, so refinement has no total.
function progressText(progress) {
  const grid = `${progress.status}: ${progress.done} of ${progress.total} configurations`;
  if (!progress.refinement_runs) return grid;
  const rounds = progress.refinement_rounds === 1 ? '1 round' : `${progress.refinement_rounds} rounds`;
  return `${grid} of the grid, then ${progress.refinement_runs} refinement runs in ${rounds}`;
}
// A value of the manifest or its spec: a list joined, a nested object as a table of its
// own; the learning rates (and σ's values) as rates.
const RATE_KEYS = new Set(['learning_rates', 'values', 'extend_up_to']);
function manifestValue(value, key) {
  const format = RATE_KEYS.has(key) ? rate : number;
  if (Array.isArray(value)) return element('span', { text: value.map(format).join(', ') || '(none)' });
  if (value !== null && typeof value === 'object') return keyValueTable(value);
  return element('span', { text: format(value) });
}
function keyValueTable(object, id) {
  return element('table', { class: 'key-value', id }, element('tbody', {},
    ...Object.entries(object).map(([key, value]) => element('tr', { 'data-key': key },
      element('th', { scope: 'row', text: key }), element('td', {}, manifestValue(value, key))))));
}
// A table of the results view (/api/result's "view", built by the program): its columns
// and its cells' text, whatever they are; a verdict's cell coloured by its value.
const VERDICT_KEYS = new Set(['verdict', 'verdict_module', 'trend', 'gamma_infinity_verdict']);
function viewTable(table) {
  // A column with one value in every row says it once, above the table, so that the
  // columns that tell the rows apart fit the window.
  const indices = table.columns.map((column, i) => i);
  const constant = (i) => table.rows.length > 1 && table.rows.every((row) => row[i].text === table.rows[0][i].text);
  const shown = indices.filter((i) => !constant(i)), same = indices.filter(constant);
  const head = element('tr', {}, ...shown.map((i) => element('th', { scope: 'col', 'data-key': table.columns[i].key, text: table.columns[i].label })));
  const rows = table.rows.map((row) => element('tr', {}, ...shown.map((i) => {
    const key = table.columns[i].key;
    return element('td', { 'data-key': key, class: VERDICT_KEYS.has(key) ? `verdict ${row[i].text.replace(/ /g, '-')}` : null, text: row[i].text });
  })));
  const inEveryRow = same.length === 0 ? null : element('p', { class: 'note', id: `view-${table.name}-same` }, 'In every row: ',
    ...same.flatMap((i, n) => [n ? '; ' : '', element('span', { 'data-key': table.columns[i].key, 'data-text': table.rows[0][i].text,
      text: `${table.columns[i].label}: ${table.rows[0][i].text}` })]));
  return element('section', {}, element('h3', { text: table.title }), inEveryRow,
    element('div', { class: 'scroll table-box' }, element('table', { id: `view-${table.name}`, class: 'results-table view' },
      element('thead', {}, head), element('tbody', {}, ...rows))));
}

async function listResults() {
  let body;
  try { body = await (await fetch('/api/results')).json(); } catch (error) { $('results-root').textContent = `the server did not answer: ${error.message}`; return; }
  $('results-root').textContent = `under ${body.root}` + (body.directories.length ? '' : ': none yet (run gammalab reproduce, or serve --results DIR)');
  $('result-list').replaceChildren(...body.directories.map((d) => element('li', {},
    element('button', { type: 'button', class: d.name === state.dir ? 'result-link selected' : 'result-link', 'data-name': d.name,
      'aria-current': d.name === state.dir ? 'true' : null,
      onclick: () => { state.dir = d.name; writeUrl(); listResults(); showResult(); } },
      element('span', { class: 'name', text: d.name }), ' ', element('span', { class: `status ${d.progress.status}`, text: d.progress.status === 'running' ? `running ${d.progress.done}/${d.progress.total}${d.progress.refinement_runs ? ` + ${d.progress.refinement_runs} refined` : ''}` : d.progress.status })))));
}
// The schemas the result documents are held against before they are shown (web/schema.js),
// fetched once from the program, which compiles schema/ in.
const schemas = new Map();
async function schemaOf(name) {
  if (!schemas.has(name)) schemas.set(name, fetch(`/schema/${name}.schema.json`).then((reply) => reply.json()));
  return schemas.get(name);
}
// What in a directory's documents departs from their schemas, as "file: path: what" lines.
async function documentErrors(body) {
  const documents = [['manifest.json', 'manifest', body.manifest], ['summary.json', 'summary', body.summary],
    ['engine.json', 'engine', body.engine], ...body.coordchecks.map((check) => [`coordcheck-${check.scheme}.json`, 'coordcheck', check])];
  const errors = [];
  for (const [file, name, document] of documents) {
    if (document === null || document === undefined || document.error) continue;
    for (const error of schemaErrors(await schemaOf(name), document).slice(0, 3)) errors.push(`${file}: ${error}`);
  }
  return errors;
}

async function showResult() {
  clearTimeout(resultTimer);
  const target = $('result');
  if (!state.dir) return;
  let reply, body;
  try {
    reply = await fetch(`/api/result?${new URLSearchParams({ name: state.dir })}`);  // in the query: a '..' reaches the server as it is
    body = await reply.json();
  } catch (error) { target.replaceChildren(element('p', { class: 'error', text: `the server did not answer: ${error.message}` })); return; }
  if (!reply.ok) { target.replaceChildren(element('p', { class: 'error', role: 'alert', text: body.error })); return; }
  // A document with a field its schema does not name (or without one it requires) is not shown.
  const errors = await documentErrors(body);
  if (errors.length) {
    target.replaceChildren(element('p', { class: 'error', role: 'alert', text: `${body.name} holds documents that are not what their schemas say:` }),
      element('ul', {}, ...errors.map((e) => element('li', { text: e }))));
    return;
  }
  const m = body.manifest;
  const parts = [element('h2', { text: `${body.name}${body.title && body.title !== body.name ? ` — ${body.title}` : ''}` })];
  const p = body.progress;
  parts.push(element('p', { class: 'progress-line' }, element('progress', { id: 'progress', max: p.total || 1, value: p.done }), ' ',
    element('span', { id: 'progress-text', text: progressText(p) })));
  // One picture per figure: the PNG where there is one, the other formats as links.
  const byName = new Map();
  for (const file of body.figures) {
    const stem = file.replace(/\.[^.]*$/, '');
    if (!byName.has(stem)) byName.set(stem, []);
    byName.get(stem).push(file);
  }
  const fileUrl = (file) => `/files/${file.split('/').map(encodeURIComponent).join('/')}`;
  if (byName.size) parts.push(element('section', {}, element('h3', { text: 'Figures' }),
    ...[...byName.values()].map((files) => {
      const shown = files.find((f) => f.endsWith('.png')) || files[0];
      return element('figure', {}, element('img', { src: fileUrl(shown), alt: `figure ${shown.split('/').pop()}` }),
        element('figcaption', {}, shown, ...files.filter((f) => f !== shown).map((f) => element('span', {}, ' · ',
          element('a', { href: fileUrl(f), text: `as ${f.split('.').pop().toUpperCase()}` })))));
    })));
  const view = body.view;
  if (view && view.error) parts.push(element('p', { class: 'error', text: view.error }));
  else if (view) {
    parts.push(element('p', { class: 'note', text: 'agrees: the 95% interval of the measured slope lies within the margin of the exponent of the engine bound the measurement sees; departs: it lies wholly outside that band; inconclusive: neither (too wide to say). The trend (converging, steady, moving away, curved) is read from the smaller and larger halves of the widths; γ∞ is the exponent of a power law with a fading finite-width correction, ΔAIC its fit against the straight line (negative: the corrected fit is the better supported). Primary slopes carry Holm\'s adjusted p-value.' }));
    parts.push(...view.tables.map(viewTable));
  } else if (body.summary && body.summary.error) parts.push(element('p', { class: 'error', text: body.summary.error }));
  else if (p.status === 'running') parts.push(element('p', { class: 'note', text: 'No summary yet: the sweep is still running.' }));
  // How it ran, after what it found: the manifest, and the spec as run (a table; the
  // TOML text itself in a directory written before the spec was kept as data).
  const { spec, ...how } = m;
  parts.push(element('details', { class: 'how-it-ran' }, element('summary', { text: 'How it ran (manifest.json)' }), keyValueTable(how, 'manifest'),
    spec ? element('details', {}, element('summary', { text: 'the spec as run' }),
      typeof spec === 'string' ? element('pre', { text: spec }) : keyValueTable(spec, 'spec')) : null));
  for (const check of body.coordchecks) {
    const rows = (check.rows || []).map((row) => element('tr', {}, element('td', { text: row.step }), element('td', { text: row.quantity }),
      element('td', { text: measured(row.slope) }), element('td', { text: interval(row.interval) }), element('td', { class: 'exact', text: number(row.engine) }), verdictCell(row.verdict)));
    const agree = (check.rows || []).filter((row) => row.verdict === 'agrees').length;
    parts.push(element('section', {}, element('h3', { text: `Coordinate check: ${check.scheme} at γ[η] = ${check.eta_exponent}: ${agree} of ${rows.length} agree` }),
      element('div', { class: 'scroll' }, element('table', { class: 'results-table' }, element('thead', {}, element('tr', {},
        ...['step', 'quantity', 'measured exponent', '95% interval', 'engine', 'verdict'].map((h) => element('th', { scope: 'col', text: h })))),
      element('tbody', {}, ...rows)))));
  }
  if (body.engine) parts.push(element('details', {}, element('summary', { text: 'the engine\'s exponents for this experiment (engine.json)' }),
    element('pre', { text: JSON.stringify(body.engine, null, 2) })));
  target.replaceChildren(...parts);
  if (p.status === 'running' && state.view === 'results') resultTimer = setTimeout(() => { showResult(); listResults(); }, 2000);
}

// ---- the deep MLP (/api/mlp): every exponent a string the engine wrote
function mlpQuery() {
  const q = {};
  for (const key of MLP_FIELDS) if (state.mlp[key] !== '') q[key] = state.mlp[key];
  return q;
}
function buildMlpForm() {
  fillSelect($('mlp-parametrization'), vocabulary.parametrizations, state.mlp.parametrization);
  fillSelect($('mlp-optimizer'), vocabulary.optimizers, state.mlp.optimizer);
  fillSelect($('mlp-alignment'), vocabulary.alignments, state.mlp.alignment);
  for (const key of MLP_FIELDS) {
    const input = $(`mlp-${key}`);
    if (input.tagName === 'INPUT') input.value = state.mlp[key];
    input.addEventListener(input.tagName === 'SELECT' ? 'change' : 'input', () => {
      state.mlp[key] = input.value.trim();
      writeUrl();
      clearTimeout(mlpTimer);
      mlpTimer = setTimeout(askMlp, 120);
    });
  }
  $('mlp-form').addEventListener('submit', (event) => event.preventDefault());
}
async function askMlp() {
  const outcome = await latestReply('mlp', `/api/mlp?${new URLSearchParams(mlpQuery())}`);
  if (!outcome) return;
  clearErrors('mlp-form');
  $('mlp-view').classList.toggle('stale', !outcome.ok);
  if (!outcome.ok) { showError('mlp-', outcome.body.field, outcome.body.error); return; }
  drawMlp(outcome.body);
}
function drawMlp(body) {
  const columns = [['a', 'a'], ['b', 'b'], ['c', 'c'], ['stable', 'stable'], ['feature_learning', 'features move Θ(1)'],
    ['max_stable', 'max stable γ[ηˡ]'], ['stable_region', 'stable γ[ηˡ]'], ['binding', 'binding']];
  const head = element('thead', {}, element('tr', {}, element('th', { scope: 'col', text: 'group' }),
    ...columns.map(([, title]) => element('th', { scope: 'col', text: title }))));
  const rows = vocabulary.layer_groups.filter((g) => body.groups[g.name]).map((g) => element('tr', { 'data-group': g.name },
    element('th', { scope: 'row', text: g.name }),
    ...columns.map(([key]) => {
      const value = body.groups[g.name][key];
      return element('td', { 'data-key': key, class: ['a', 'b', 'c', 'max_stable', 'stable_region'].includes(key) ? 'exact' : null,
        text: Array.isArray(value) ? value.join('; ') : cellText(value) });
    })));
  $('mlp-table').replaceChildren(head, element('tbody', {}, ...rows));
  $('mlp-summary').textContent = `${body.parametrization}, ${body.optimizer}, ${body.alignment} alignment, L = ${body.layers}: ` +
    `stable ${cellText(body.stable)}, feature learning ${cellText(body.feature_learning)}, ` +
    `r = ${body.r === null ? 'none (not stable, or the features do not move)' : body.r}; the exponents settle from step ${body.settled_from}.`;
}

// ---- views and start
function showView(view) {
  state.view = view;
  $('engine-view').hidden = view !== 'engine';
  $('results-view').hidden = view !== 'results';
  $('mlp-view').hidden = view !== 'mlp';
  $('tab-engine').setAttribute('aria-current', view === 'engine' ? 'page' : 'false');
  $('tab-mlp').setAttribute('aria-current', view === 'mlp' ? 'page' : 'false');
  $('tab-results').setAttribute('aria-current', view === 'results' ? 'page' : 'false');
  writeUrl();
  if (view === 'results') { listResults(); showResult(); }
  if (view === 'mlp') askMlp();
}
async function start() {
  readUrl();
  try {
    vocabulary = await (await fetch('/api/vocabulary')).json();
  } catch (error) {
    $('error-general').textContent = `the server did not answer: ${error.message}`;
    return;
  }
  buildForm();
  buildMlpForm();
  syncForm();
  $('tab-engine').addEventListener('click', () => showView('engine'));
  $('tab-results').addEventListener('click', () => showView('results'));
  $('tab-mlp').addEventListener('click', () => showView('mlp'));
  $('large-text').addEventListener('click', () => { state.large = !state.large; syncForm(); writeUrl(); });
  for (const input of document.querySelectorAll('input[name=window]'))
    input.addEventListener('change', () => { state.window = input.value; writeUrl(); if (answer) drawPhase(); });
  $('phase-diagram').addEventListener('click', phaseClick);
  $('phase-diagram').addEventListener('keydown', phaseKey);
  showView(['results', 'mlp'].includes(state.view) ? state.view : 'engine');
  await askEngine();
  document.body.dataset.ready = 'true';
}
document.addEventListener('DOMContentLoaded', start);
