// `gammalab serve` under load and under bad requests, without a browser: the real
// program on a free loopback port (127.0.0.1 only), driven by node's own sockets.
// Run by ctest (tests/CMakeLists.txt) as
//   GAMMALAB_BINARY=build/gammalab node tests/serve/serve_limits.test.mjs
// Bounded: at most 48 held connections, every socket closed by the test, about 20 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './serve_process.mjs';


const here = path.dirname(fileURLToPath(import.meta.url));
const source = process.env.GAMMALAB_SOURCE_DIR || path.resolve(here, '../..');
const binary = process.env.GAMMALAB_BINARY || path.join(source, 'build/gammalab');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gammalab-serve-'));
const results = path.join(scratch, 'results');
const networkSgd = '/api/engine?scheme=A&setting=network&optimizer=sgd&eta=-1/2';

let server, port;
const held = [];

// One GET on a connection of its own: status, body, and how long the answer took.
function get(target, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const request = http.get({ host: '127.0.0.1', port, path: target, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body, ms: Date.now() - started }));
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer to ${target} in ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

// A connection that sends `first`, then `drip` once a second until closed by either side.
function hold(first, drip) {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.resume();  // read what comes, so that the server's close is seen
  socket.on('connect', () => {
    socket.write(first);
    if (drip) {
      const timer = setInterval(() => { if (!socket.destroyed) socket.write(drip); }, 1000);
      socket.on('close', () => clearInterval(timer));
    }
  });
  held.push(socket);
  return socket;
}

before(async () => {
  fs.mkdirSync(path.join(results, 'tiny'), { recursive: true });
  // The smallest manifest that holds to its schema: the engine's phase diagrams.
  fs.writeFileSync(path.join(results, 'tiny', 'manifest.json'), JSON.stringify({
    version: 2, experiment: 'phase', program: 'gammalab', git_revision: 'test', device: 'the γ engine', status: 'complete',
    schemes: ['A'], setting: 'module', optimizer: 'adam' }));
  fs.writeFileSync(path.join(scratch, 'outside.txt'), 'SECRET outside the results folder\n');
  ({ server, port } = await startServer(binary, results));
});

after(() => {
  for (const socket of held) socket.destroy();
  if (server) server.kill();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test("the page's network + SGD request answers: predict, and the phase diagram's refusal at the work limit", async () => {
  const reply = await get(networkSgd);
  assert.equal(reply.status, 200, reply.body);
  const document = JSON.parse(reply.body);
  assert.equal(document.predict.command, 'predict');
  assert.match(document.phase.error, /work limit/);
  assert.equal(typeof document.solve.verdicts.every_step.stable, 'string');
});

test('bad encodings and walks out of the folder get 400 or 404 with a plain message', async () => {
  for (const [target, status] of [
    ['/files/%c0%ae%c0%ae/%c0%ae%c0%ae/outside.txt', 404], ['/files/%2e%2e/outside.txt', 404],
    ['/files/tiny/%2e%2e/%2e%2e/outside.txt', 404], ['/files/%ff%fe', 404], ['/api/result?name=%c0%ae%c0%ae', 404],
    ['/api/engine?scheme=A&eta=%ff%fe', 400], ['/api/engine?scheme=%ff&eta=-1', 400]]) {
    const reply = await get(target);
    assert.equal(reply.status, status, `${target}: ${reply.body}`);
    const { error } = JSON.parse(reply.body);
    assert.ok(error.length > 0, target);
    assert.doesNotMatch(error, /json\.exception|SECRET|what\(\)/, target);
  }
});

test('normal requests are answered within a second while 40 slow or half-sent connections and 8 engine queries are held', async () => {
  for (let i = 0; i < 20; ++i) hold('GET /api/vocabulary HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n');
  for (let i = 0; i < 20; ++i) hold('GET /api/results HTTP/1.1\r\nHost: 127.', null);
  const engine = [];
  for (let i = 0; i < 8; ++i) engine.push(get(networkSgd, 30000).catch((error) => ({ status: 0, body: String(error) })));
  await new Promise((r) => setTimeout(r, 500));  // every held connection is in
  const times = [];
  for (const target of ['/api/vocabulary', '/api/results', '/', '/api/result?name=tiny', '/api/vocabulary', '/api/results', '/']) {
    const reply = await get(target, 5000);
    assert.equal(reply.status, 200, `${target}: ${reply.body}`);
    times.push(reply.ms);
  }
  assert.ok(Math.max(...times) < 1000, `answer times ${times.join(', ')} ms`);
  // The engine queries end too: answered, or refused at the server's time limit.
  for (const reply of await Promise.all(engine)) assert.ok([200, 503].includes(reply.status), reply.body);
  // The slow connections were cut off at the request deadline, not left open.
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(held.every((socket) => socket.destroyed || socket.readableEnded), 'a held connection is still open after the deadline');
});
