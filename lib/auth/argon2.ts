// Argon2id (RFC 9106, version 0x13), byte-identical to @noble/hashes' argon2id(password, salt,
// { m, t, p, dkLen, version: 0x13 }), for the password workers (password.ts).
//
// Why not noble's own: two costs. A fixed one per call, nearly all in noble's pure-JS blake2b (H0,
// and H'^1024 for the first two blocks of every lane, 31 blake2b-512 calls each): here every
// blake2b whose output is 64 bytes runs in OpenSSL (node:crypto 'blake2b512', ~1 µs a call warm
// against noble's ~4.5); other output lengths, which OpenSSL cannot produce (the 32-byte tag chatd
// stores: ~32 µs), stay with noble's blake2b. And one per 1 KiB block, G: noble emulates BlaMka's
// 64-bit words with pairs of u32 (~4-6 µs a block); here G is WebAssembly (./argon2-block.wat)
// with native i64 multiply, add, xor and rotate (~1.2 µs a block, near native argon2's ~1), and B
// lives in the module's memory. Measured in-process, warm, p=1, dkLen=32, ms per call (best of 5
// batches in each of 3 runs, 2 cores shared with other work), this vs the JS-G version before it
// vs noble: m=8,t=1 0.13 / 0.19 / 0.43; m=64,t=1 0.17 / 0.49 / 0.77; m=19456,t=2 47 / 227 / 235.
// A thread's first default hash takes up to ~2x longer (fresh code and memory pages).
// Where WebAssembly is missing (node --jitless) or cannot get a memory (an address-space limit:
// ulimit -v, systemd LimitAS) this is noble's argon2id, the same bytes, slower.
//
// Memory: a thread keeps one 1 MiB WebAssembly memory for every B up to 1024 blocks; a larger B
// gets a memory of its own, wiped and dropped after the hash, and freed by a later GC like the
// Uint32Array it replaces (figures at blockMachine()).
//
// Argon2id's data-independent addresses in the first half of the first pass and the reference
// block selection are adapted from @noble/hashes argon2.js, MIT licence, Copyright (c) 2022 Paul
// Miller (https://paulmillr.com).
import { hash } from 'node:crypto';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { ARGON2_BLOCK_WASM_BASE64 } from './argon2-block.wasm.js';

export type Argon2idParams = {
  /** Memory in KiB, at least 8·p; rounded down to a multiple of 4·p blocks, as RFC 9106 says. */
  m: number;
  /** Passes over the memory. */
  t: number;
  /** Lanes (computed one after another here: JS has one thread). */
  p: number;
  /** Tag length in bytes. */
  dkLen: number;
};

const VERSION = 0x13;
const TYPE_ID = 2; // RFC 9106 §3.1: y = 2 is Argon2id
const SYNC_POINTS = 4; // slices per pass
const utf8 = new TextEncoder(); // what noble's kdfInputToBytes uses for string passwords

/** The argon2id tag of `password` (a string is UTF-8 encoded) and `salt` (≥ 8 bytes, as noble). */
export function argon2id(password: string | Uint8Array, salt: Uint8Array, { m, t, p, dkLen }: Argon2idParams): Uint8Array {
  const u32 = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff;
  if (![m, t, p, dkLen].every(u32) || t < 1 || p < 1 || p > 0xffffff || m < 8 * p || dkLen < 4) {
    throw new RangeError(`argon2id: bad parameters m=${m} t=${t} p=${p} dkLen=${dkLen}`);
  }
  if (salt.length < 8) throw new RangeError('argon2id: salt must be at least 8 bytes');
  const laneLen = 4 * Math.floor(m / (4 * p)); // blocks per lane: m' / p
  const blocks = p * laneLen;
  // Where there is no WebAssembly (node --jitless), or no memory for it: noble's argon2id gives the
  // same bytes (see the header). V8 reserves gigabytes of address space per WebAssembly memory
  // (guard regions), so under an address-space limit (ulimit -v, systemd LimitAS) every memory is
  // refused; logins must then be slow, not impossible.
  const machine = typeof WebAssembly === 'object' ? tryBlockMachine(blocks) : null;
  if (!machine) return nobleArgon2id(password, salt, { m, t, p, dkLen, version: VERSION });
  const { bytes, words, fillBlock } = machine;
  const pw = typeof password === 'string' ? utf8.encode(password) : password;

  // H'^1024 input: LE32(1024) reserved, H0, LE32(0 or 1) for the block, LE32(lane) (RFC 9106 §3.2).
  const seed = new Uint8Array(4 + 64 + 8);
  const seedView = new DataView(seed.buffer);
  const h0 = initialHash(pw, salt, m, t, p, dkLen);
  seed.set(h0, 4);
  h0.fill(0);
  for (let lane = 0; lane < p; lane++) {
    seedView.setUint32(72, lane, true);
    for (let j = 0; j < 2; j++) {
      seedView.setUint32(68, j, true);
      const at = B_AT + (lane * laneLen + j) * 1024;
      hPrime(bytes.subarray(at, at + 1024), seed); // blocks are little-endian, as is WebAssembly
    }
  }
  fillMemory(words, fillBlock, laneLen, p, t);

  // Tag: H'^dkLen of the XOR of every lane's last block.
  const last = new Uint8Array(4 + 1024);
  for (let lane = 0; lane < p; lane++) {
    const at = B_AT + (lane * laneLen + laneLen - 1) * 1024;
    for (let i = 0; i < 1024; i++) last[4 + i] ^= bytes[at + i]!;
  }
  const tag = new Uint8Array(dkLen);
  hPrime(tag, last);
  // Best effort: each of these is enough to test password guesses without the memory cost.
  bytes.fill(0, 0, B_AT + blocks * 1024);
  seed.fill(0);
  last.fill(0);
  if (pw !== password) pw.fill(0);
  return tag;
}

// ---- blake2b ----

/** blake2b with a `len`-byte output: native (OpenSSL) for 64, noble for any other length. */
function blake2(len: number, data: Uint8Array): Uint8Array {
  return len === 64 ? hash('blake2b512', data, 'buffer') : blake2b(data, { dkLen: len });
}

/** RFC 9106 §3.2 step 2: H0, over the parameters, P and S (K and X are empty: two zero lengths). */
function initialHash(pw: Uint8Array, salt: Uint8Array, m: number, t: number, p: number, dkLen: number): Uint8Array {
  const input = new Uint8Array(6 * 4 + 4 + pw.length + 4 + salt.length + 8);
  const view = new DataView(input.buffer);
  [p, dkLen, m, t, VERSION, TYPE_ID].forEach((word, i) => view.setUint32(4 * i, word, true));
  view.setUint32(24, pw.length, true);
  input.set(pw, 28);
  view.setUint32(28 + pw.length, salt.length, true);
  input.set(salt, 32 + pw.length);
  const h0 = blake2(64, input);
  input.fill(0);
  return h0;
}

/**
 * RFC 9106 §3.3, the variable-length hash H'^T(A) with T = out.length, into `out`. `input` is
 * LE32(T) || A: its first 4 bytes are written here (callers reserve them, which saves a copy).
 * For T > 64 every V_i is a 64-byte blake2b, the last one too when T is a multiple of 32
 * (T - 32·r = 64 then); only other lengths of V_{r+1}, and T ≤ 64 other than 64, use noble.
 */
function hPrime(out: Uint8Array, input: Uint8Array): void {
  const T = out.length;
  new DataView(input.buffer, input.byteOffset).setUint32(0, T, true);
  if (T <= 64) return out.set(blake2(T, input));
  let V = blake2(64, input);
  out.set(V.subarray(0, 32));
  let pos = 32;
  for (; T - pos > 64; pos += 32) {
    const next = blake2(64, V);
    V.fill(0);
    V = next;
    out.set(V.subarray(0, 32), pos);
  }
  out.set(blake2(T - pos, V), pos);
  V.fill(0);
}

// ---- block filling: G in WebAssembly (./argon2-block.wat), the rest adapted from noble's argon2.js ----

// The module's memory, in bytes (see the .wat): G's working block R, then argon2id's address,
// input and zero blocks (§3.4.1.2), then B, block i of the p x laneLen matrix at B_AT + 1024·i.
const ADDRESS_AT = 1024;
const INPUT_AT = 2048;
const ZERO_AT = 3072;
const B_AT = 4096;
// Up to this many blocks (1 MiB), a thread reuses one memory for every hash; a larger B gets a
// memory of its own, dropped after the hash, so that a worker does not keep tens of MiB.
const SMALL_BLOCKS = 1024;

type FillBlock = (x: number, y: number, out: number, xor: number) => void;
type BlockMachine = { bytes: Uint8Array; words: Uint32Array; fillBlock: FillBlock };

let compiled: WebAssembly.Module | undefined;
let small: BlockMachine | undefined;

/**
 * A memory holding the scratch blocks and B (`blocks` blocks), and the module's fillBlock on it:
 * the thread's shared one up to SMALL_BLOCKS, else a new one (the compiled code is shared).
 * Measured, a worker as password.ts starts them (2 MiB young generation), process RSS: 53.5 MiB
 * loaded; after 20 hashes at m=19456,t=2 115 MiB (dropped memories the GC has not yet freed; the
 * JS version's Uint32Arrays: 124-138), and 51 within half a second idle (JS: 54-97).
 */
/** blockMachine, or null when the WebAssembly memory cannot be had (RangeError: could not allocate). */
function tryBlockMachine(blocks: number): BlockMachine | null {
  try {
    return blockMachine(blocks);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

function blockMachine(blocks: number): BlockMachine {
  if (blocks <= SMALL_BLOCKS && small) return small;
  compiled ??= new WebAssembly.Module(Buffer.from(ARGON2_BLOCK_WASM_BASE64, 'base64'));
  const pages = Math.ceil((B_AT + 1024 * Math.max(blocks, SMALL_BLOCKS)) / 65536);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  const machine = {
    bytes: new Uint8Array(memory.buffer),
    words: new Uint32Array(memory.buffer),
    fillBlock: instance.exports['fillBlock'] as FillBlock,
  };
  if (blocks <= SMALL_BLOCKS) small = machine;
  return machine;
}

/**
 * RFC 9106 §3.4.2: maps J1 (randL) to a block position in the reference lane. The area W is the
 * blocks computed so far that may be referenced; its size times J1²/2^64 is taken exactly in
 * doubles: Math.imul gives a product's low half, and the double product is within 1024 of the
 * exact one, so subtracting the low half and rounding recovers the high half.
 */
function indexAlpha(r: number, s: number, laneLen: number, segmentLen: number, index: number, randL: number, sameLane: boolean): number {
  let area: number;
  if (r === 0) {
    if (s === 0) area = index - 1;
    else if (sameLane) area = s * segmentLen + index - 1;
    else area = s * segmentLen + (index === 0 ? -1 : 0);
  } else if (sameLane) area = laneLen - segmentLen + index - 1;
  else area = laneLen - segmentLen + (index === 0 ? -1 : 0);
  const startPos = r !== 0 && s !== SYNC_POINTS - 1 ? (s + 1) * segmentLen : 0;
  const randLow = Math.imul(randL, randL);
  const randHigh = (((randL >>> 0) * (randL >>> 0) - (randLow >>> 0)) / 0x100000000 + 0.5) | 0;
  const areaLow = Math.imul(area, randHigh);
  const areaHigh = (((area >>> 0) * (randHigh >>> 0) - (areaLow >>> 0)) / 0x100000000 + 0.5) | 0;
  return (startPos + area - 1 - areaHigh) % laneLen;
}

/**
 * RFC 9106 §3.2 steps 5-6: every block after the first two of each lane, t passes, in `words`
 * (the machine's memory as u32: a 64-bit word is a low, high pair).
 */
function fillMemory(words: Uint32Array, fillBlock: FillBlock, laneLen: number, p: number, t: number): void {
  const segmentLen = laneLen / SYNC_POINTS;
  const input = INPUT_AT / 4; // the input block, as u32 words
  const address = ADDRESS_AT / 4;
  // The next address block: G(0, G(0, input block)), after bumping the counter.
  const nextAddresses = () => {
    words[input + 12]++;
    fillBlock(INPUT_AT, ZERO_AT, ADDRESS_AT, 0);
    fillBlock(ADDRESS_AT, ZERO_AT, ADDRESS_AT, 0);
  };
  // The input block's fixed words (low halves; high halves stay 0): m', t, type.
  words[input + 6] = laneLen * p;
  words[input + 8] = t;
  words[input + 10] = TYPE_ID;
  for (let r = 0; r < t; r++) {
    const xor = r !== 0 ? 1 : 0;
    words[input + 0] = r;
    for (let s = 0; s < SYNC_POINTS; s++) {
      words[input + 4] = s;
      // argon2id: Argon2i's data-independent addressing in pass 0, slices 0 and 1 (§3.4.1.3).
      const dataIndependent = r === 0 && s < 2;
      for (let l = 0; l < p; l++) {
        words[input + 2] = l;
        words[input + 12] = 0; // the counter
        let startPos = 0;
        if (r === 0 && s === 0) {
          startPos = 2; // blocks 0 and 1 come from H'
          nextAddresses(); // index 2 skips the index % 128 === 0 below
        }
        let offset = l * laneLen + s * segmentLen + startPos;
        for (let index = startPos; index < segmentLen; index++, offset++) {
          const prev = offset % laneLen ? offset - 1 : offset + laneLen - 1;
          let randL: number, randH: number;
          if (dataIndependent) {
            const i128 = index % 128;
            if (i128 === 0) nextAddresses();
            randL = words[address + 2 * i128]!;
            randH = words[address + 2 * i128 + 1]!;
          } else {
            randL = words[B_AT / 4 + 256 * prev]!;
            randH = words[B_AT / 4 + 256 * prev + 1]!;
          }
          const refLane = r === 0 && s === 0 ? l : randH % p;
          const refPos = indexAlpha(r, s, laneLen, segmentLen, index, randL, refLane === l);
          fillBlock(B_AT + 1024 * prev, B_AT + 1024 * (laneLen * refLane + refPos), B_AT + 1024 * offset, xor);
        }
      }
    }
  }
}
