// Writes Llama 3's vocabulary in tiktoken format ("<base64 token bytes> <rank>" per line, as Meta's tokenizer.model),
// from the copy llama3-tokenizer-js carries (tokenizer.json's byte-level token strings, in rank order).
//   node export-vocabulary.mjs llama3.tiktoken
import { writeFileSync } from 'node:fs';
import llama3 from 'llama3-tokenizer-js';

// GPT-2's byte-level alphabet: printable bytes stand for themselves, the others for 256, 257, … in byte order
const byteOf = new Map();
let next = 256;
for (let b = 0; b < 256; b++) {
  const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  byteOf.set(String.fromCodePoint(printable ? b : next++), b);
}

const lines = [];
for (let rank = 0; rank < llama3.vocabById.length; rank++) {
  const token = llama3.vocabById[rank];
  if (/^<\|.*\|>$/.test(token) && rank >= 128000) break; // the special tokens follow the 128,000 ranks
  const bytes = Array.from(token, c => {
    if (!byteOf.has(c)) throw new Error(`rank ${rank}: '${c}' is not in the byte-level alphabet`);
    return byteOf.get(c);
  });
  lines.push(Buffer.from(bytes).toString('base64') + ' ' + rank);
}
writeFileSync(process.argv[2] ?? 'llama3.tiktoken', lines.join('\n') + '\n');
console.log(`wrote ${lines.length} ranks to ${process.argv[2] ?? 'llama3.tiktoken'}`);
