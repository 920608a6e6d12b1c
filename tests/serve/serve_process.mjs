// `gammalab serve` on a free loopback port, for the tests that talk to it (the load test
// here, the browser tests): started with `--port 0`, it prints the address it bound.
import { spawn } from 'node:child_process';

// Resolves to { server, port } once the program prints its address; rejects when it
// stops first or prints none within 20 s, with what it printed.
export function startServer(binary, results) {
  return new Promise((resolve, reject) => {
    const server = spawn(binary, ['serve', '--port', '0', '--results', results], { stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    const timer = setTimeout(() => reject(new Error(`the server printed no address: ${printed}`)), 20000);
    server.stdout.on('data', (chunk) => {
      printed += chunk;
      const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(printed);
      if (match) { clearTimeout(timer); resolve({ server, port: Number(match[1]) }); }
    });
    server.stderr.on('data', (chunk) => { printed += chunk; });
    server.on('exit', (code) => reject(new Error(`the server stopped (${code}): ${printed}`)));
  });
}
