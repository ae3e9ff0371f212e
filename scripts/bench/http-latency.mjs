// Times HTTP GETs for the benchmarks from a plain Node.js process, reading each body as it
// streams in, over one keep-alive connection. Plain JavaScript on purpose: the same client
// run under the TypeScript loader (tsx) added 2–3 ms to the slowest twentieth of frame
// requests, more than the server under test spends on them.
//
// stdin: { "urls": [...], "headers": {...}, "count": n, "warmup": n, "order": "random" | "each" }
// stdout: the latencies of the `count` measured requests, in milliseconds, as a JSON array.
import { Agent, request } from 'node:http';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { urls, headers, count, warmup = 0, order = 'each' } = JSON.parse(input);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(url) {
  return new Promise((resolve, reject) => {
    request(url, { agent, headers }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`HTTP ${response.statusCode} for ${new URL(url).pathname}`));
        return;
      }
      response.on('data', () => undefined);
      response.on('end', resolve);
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const pick = (i) => (order === 'random' ? urls[Math.floor(Math.random() * urls.length)] : urls[i % urls.length]);
for (let i = 0; i < warmup; i++) await get(pick(i));
const latencies = [];
for (let i = 0; i < count; i++) {
  const started = performance.now();
  await get(pick(i));
  latencies.push(performance.now() - started);
}
agent.destroy();
process.stdout.write(JSON.stringify(latencies));
