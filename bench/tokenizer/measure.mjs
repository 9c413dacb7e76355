// Cuts the seed documents into paragraph-sized prompts, counts each with Llama 3's own tokenizer
// (llama3-tokenizer-js) and with cl100k_base (js-tiktoken's encodeOrdinary: jtokkit's algorithm and ranks), prints
// how far cl100k is per language, and writes the prompts with their Llama 3 counts for MeasureEstimate.java, which
// counts them with the gateway's own LlamaTokenCounter. run.sh runs both.
//   node measure.mjs ../../../shared/seeds prompts.txt
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import llama3 from 'llama3-tokenizer-js';

const seeds = process.argv[2] ?? '../../../shared/seeds';
const documents = [
  ['English', '000_0251fa97e5b57295.txt'],
  ['Chinese', '003_d1ac5bb57b695d5e.txt'],
  ['Italian', '004_ea1db84465a1d817.txt'],
];
const cl100k = getEncoding('cl100k_base');
const TEMPLATE = 5 + 5; // <|begin_of_text|> + assistant header, and one message's header/eot markers

const out = process.argv[3];
const records = [];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const pct = (x) => (x * 100).toFixed(1) + '%';

for (const [language, file] of documents) {
  const text = readFileSync(join(seeds, file), 'utf8');
  // paragraph-sized prompts: lines joined until at least 200 characters
  const prompts = [];
  let current = '';
  for (const block of text.split(/\n+/)) {
    current = current ? current + "\n" + block : block;
    if (current.length >= 200) {
      prompts.push(current);
      current = '';
    }
  }
  if (current) prompts.push(current);
  let estimatedTotal = 0, actualTotal = 0;
  const errors = [];
  for (const prompt of prompts) {
    const estimated = cl100k.encode(prompt, [], []).length + TEMPLATE;
    const actual = llama3.encode(prompt, { bos: false, eos: false }).length + TEMPLATE;
    estimatedTotal += estimated;
    actualTotal += actual;
    errors.push((estimated - actual) / actual);
    records.push(`${language} ${actual} ${Buffer.from(prompt, 'utf8').toString('base64')}`);
  }
  errors.sort((a, b) => a - b);
  const absolute = errors.map(Math.abs).sort((a, b) => a - b);
  console.log(`cl100k (js-tiktoken) ${language.padEnd(8)} ${String(prompts.length).padStart(4)} prompts  estimated ${estimatedTotal} / actual ${actualTotal} tokens`
    + `  total error ${pct((estimatedTotal - actualTotal) / actualTotal)}`
    + `  per prompt: min ${pct(errors[0])}, median ${pct(percentile(errors, 0.5))}, max ${pct(errors[errors.length - 1])},`
    + ` |error| p95 ${pct(percentile(absolute, 0.95))}`);
}
if (out) {
  writeFileSync(out, records.join('\n') + '\n');
}
