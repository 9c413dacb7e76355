// The simple upstream of bench/compare.sh for streams: an OpenAI-/Llama-API-shaped chat deployment in a few lines of
// Node, independent of the gateway's own simulator. POST <prefix>/v1/chat/completions where <prefix> is /n<N>g<G>
// (default /n20g50): with "stream":true a role chunk at once, N content chunks G ms apart, a finish chunk, a usage
// chunk and [DONE]; otherwise one chat.completion. A client that goes away stops its timers.
//   node bench/compare/upstream.mjs <port>
import http from 'node:http';

const port = Number(process.argv[2] ?? 18502);
const id = 'chatcmpl-bench';
const chunk = (delta, finish) =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":1764633600,"model":"bench","choices":[{"index":0,"delta":${delta},"finish_reason":${finish}}]}\n\n`;
const usage = (n) =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":1764633600,"model":"bench","choices":[],"usage":{"prompt_tokens":700,"completion_tokens":${n},"total_tokens":${700 + n}}}\n\n`;
const answer = JSON.stringify({
  id, object: 'chat.completion', created: 1764633600, model: 'bench',
  choices: [{ index: 0, message: { role: 'assistant', content: 'word '.repeat(64).trim() }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 700, completion_tokens: 64, total_tokens: 764 },
});

http.createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req, res) => {
  const parts = [];
  req.on('data', (b) => parts.push(b));
  req.on('end', () => {
    const body = Buffer.concat(parts).toString();
    const shape = /^\/n(\d+)g(\d+)\//.exec(req.url);
    const events = shape ? Number(shape[1]) : 20;
    const gapMs = shape ? Number(shape[2]) : 50;
    if (!/"stream"\s*:\s*true/.test(body)) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(chunk('{"role":"assistant","content":""}', 'null'));
    let sent = 0;
    const timer = setInterval(() => {
      sent++;
      res.write(chunk(`{"content":"word${sent} "}`, 'null'));
      if (sent === events) {
        clearInterval(timer);
        res.end(chunk('{}', '"stop"') + usage(events) + 'data: [DONE]\n\n');
      }
    }, gapMs);
    res.on('close', () => clearInterval(timer));
  });
}).listen(port, '127.0.0.1', () => console.log(`upstream on ${port}`));
