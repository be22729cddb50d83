// Sanitizer micro-benchmark: sanitizeText runs on every message, topic and reason at ingress and
// again in every client before printing, so its cost per call matters.
// Run: npx tsc -p tsconfig.json && node dist/bench/sanitize.bench.js
//
// Prints ns/op (median of ROUNDS timed rounds, after a warm-up) for typical and hostile inputs.
import { performance } from 'node:perf_hooks';
import { sanitizeText } from '../lib/sanitize.js';
import { renderFrame, COLOR } from '../lib/render.js';
import type { MessageFrame } from '../lib/protocol/frames.js';

const ROUNDS = 7;
const TARGET_MS = 200; // time per round; the iteration count is calibrated to it

type Case = { name: string; input: string };

const ascii80 = 'the quick brown fox jumps over the lazy dog, then naps; everyone agrees: fine!!';
const hostile =
  '\x1b[31mred\x1b[0m \x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\ \u202egnp.exe\u202c [bold red]x[/] \x0304,12c\u200d' +
  '\x9b2J \x1b]52;c;ZXZpbA==\x07 [[red]red] e\u0301 \u{e0041}';

const CASES: Case[] = [
  { name: 'plain ASCII, 80 chars (fast path)', input: ascii80 },
  { name: 'unicode, 60 chars (NFC check)', input: '¡hola! 你好 😀 مرحبا שלום — café crème, naïve façade, 🇫🇷 ok' },
  { name: 'emoji sequences, 60 chars (VS16, ZWJ)', input: '❤️ ok 👍🏽 nice 🏳️‍🌈 flag ✔️ done ☺️ smile 1️⃣ keycap, more words' },
  { name: 'brackets, 80 chars', input: 'see arr[0] and [1] [citation needed], [WIP] fix list[2] and [3] in C:\\path ok' },
  { name: 'hostile, 150 chars', input: hostile },
  { name: 'hostile 16 KiB: "[" x 16384', input: '['.repeat(16384) },
  { name: 'hostile 16 KiB: "\\x1b[" x 8192', input: '\x1b['.repeat(8192) },
  { name: 'hostile 16 KiB: "[[b]" x 4096', input: '[[b]'.repeat(4096) },
  { name: 'hostile 16 KiB: "[ " x 8192 + "]"', input: '[ '.repeat(8192) + ']' },
  { name: 'hostile 16 KiB: mixed', input: hostile.repeat(Math.floor(16384 / hostile.length)) },
];

function measure(fn: () => unknown): number {
  let iterations = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    const ms = performance.now() - t0;
    if (ms >= TARGET_MS / 4) {
      iterations = Math.max(1, Math.round((iterations * TARGET_MS) / ms));
      break;
    }
    iterations *= 4;
  }
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    samples.push(((performance.now() - t0) * 1e6) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

function row(name: string, nsPerOp: number): string {
  const figure = nsPerOp >= 1e6 ? `${(nsPerOp / 1e6).toFixed(2)} ms/op` : `${Math.round(nsPerOp).toLocaleString('en-US')} ns/op`;
  return `${name.padEnd(42)} ${figure.padStart(14)}`;
}

console.log(`sanitizeText, node ${process.version}`);
for (const c of CASES) console.log(row(c.name, measure(() => sanitizeText(c.input))));

const frame: MessageFrame = {
  type: 'message', id: 'm1', ts: new Date().toISOString(), room: 'lobby',
  from: { name: 'alice', role: 'user', color: 'cyan' }, text: ascii80, kind: 'say',
};
console.log(row('renderFrame(message, COLOR)', measure(() => renderFrame(frame, COLOR))));
