// Argon2id (RFC 9106, version 0x13), byte-identical to @noble/hashes' argon2id(password, salt,
// { m, t, p, dkLen, version: 0x13 }), for the password workers (password.ts).
//
// Why not noble's own: its argon2id has a fixed cost per call whatever m is, nearly all of it in
// its pure-JS blake2b: H0, and H'^1024 for the first two blocks of every lane (31 blake2b-512
// calls each). Here every blake2b whose output is 64 bytes runs in OpenSSL (node:crypto
// 'blake2b512', ~1 µs a call warm against noble's ~4.5); other output lengths, which OpenSSL cannot
// produce (the 32-byte tag chatd stores: ~32 µs), stay with noble's blake2b. Measured in-process,
// warm, p=1, ms per call (best batch, 2 cores shared with other work), this vs noble: m=8,t=1 0.18
// vs 0.43; m=64,t=1 0.48 vs 0.74; m=19456,t=2 220 vs 224 (block filling, noble's code, is the rest).
//
// The block filling (G with BlaMka, the permutation P, argon2id's data-independent addresses in the
// first half of the first pass, reference block selection) is adapted from @noble/hashes
// argon2.js, MIT licence, Copyright (c) 2022 Paul Miller (https://paulmillr.com).
import { hash } from 'node:crypto';
import { blake2b } from '@noble/hashes/blake2.js';

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
  const pw = typeof password === 'string' ? utf8.encode(password) : password;

  const laneLen = 4 * Math.floor(m / (4 * p)); // blocks per lane: m' / p
  const B = new Uint32Array(p * laneLen * 256);
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
      hPrime(BLOCK_BYTES, seed);
      const at = (lane * laneLen + j) * 256;
      for (let i = 0; i < 256; i++) B[at + i] = BLOCK_VIEW.getUint32(4 * i, true);
    }
  }
  fillMemory(B, laneLen, p, t);

  // Tag: H'^dkLen of the XOR of every lane's last block.
  const last = new Uint8Array(4 + 1024);
  const lastView = new DataView(last.buffer);
  for (let i = 0; i < 256; i++) {
    let word = 0;
    for (let lane = 0; lane < p; lane++) word ^= B[(lane * laneLen + laneLen - 1) * 256 + i]!;
    lastView.setUint32(4 + 4 * i, word, true);
  }
  const tag = new Uint8Array(dkLen);
  hPrime(tag, last);
  // Best effort: each of these is enough to test password guesses without the memory cost.
  for (const secret of [B, seed, last, BLOCK_BYTES, R, ADDRESS]) secret.fill(0);
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

// ---- block filling (adapted from noble's argon2.js) ----

// Scratch, reused by every call (a worker hashes one password at a time): a block is 256 u32,
// the 128 64-bit words of RFC 9106's 8x8 matrix of 16-byte registers as low/high u32 pairs.
const BLOCK_BYTES = new Uint8Array(1024);
const BLOCK_VIEW = new DataView(BLOCK_BYTES.buffer);
const R = new Uint32Array(256); // G's working block
const ADDRESS = new Uint32Array(3 * 256); // address block, input block, zero block (§3.4.1.2)

// One GB of RFC 9106 Figure 19 on words a, b, c, d of R. Each BlaMka step x + y + 2·lo(x)·lo(y)
// gets the product's low half exactly from Math.imul; the double product is within 1024 of the
// exact one, so subtracting the low half and rounding recovers the high half exactly.
function G(a: number, b: number, c: number, d: number): void {
  let Al = R[2 * a]!, Ah = R[2 * a + 1]!;
  let Bl = R[2 * b]!, Bh = R[2 * b + 1]!;
  let Cl = R[2 * c]!, Ch = R[2 * c + 1]!;
  let Dl = R[2 * d]!, Dh = R[2 * d + 1]!;
  let ml, mh, rl, xh, xl;
  // A = blamka(A, B); D = rotr64(D ^ A, 32)
  ml = Math.imul(Al, Bl);
  mh = (((Al >>> 0) * (Bl >>> 0) - (ml >>> 0)) / 0x100000000 + 0.5) | 0;
  rl = (Al >>> 0) + (Bl >>> 0) + ((ml << 1) >>> 0);
  Ah = (Ah + Bh + ((mh << 1) | (ml >>> 31)) + ((rl / 0x100000000) | 0)) | 0;
  Al = rl | 0;
  xh = Dh ^ Ah; xl = Dl ^ Al;
  Dh = xl; Dl = xh;
  // C = blamka(C, D); B = rotr64(B ^ C, 24)
  ml = Math.imul(Cl, Dl);
  mh = (((Cl >>> 0) * (Dl >>> 0) - (ml >>> 0)) / 0x100000000 + 0.5) | 0;
  rl = (Cl >>> 0) + (Dl >>> 0) + ((ml << 1) >>> 0);
  Ch = (Ch + Dh + ((mh << 1) | (ml >>> 31)) + ((rl / 0x100000000) | 0)) | 0;
  Cl = rl | 0;
  xh = Bh ^ Ch; xl = Bl ^ Cl;
  Bh = (xh >>> 24) | (xl << 8); Bl = (xh << 8) | (xl >>> 24);
  // A = blamka(A, B); D = rotr64(D ^ A, 16)
  ml = Math.imul(Al, Bl);
  mh = (((Al >>> 0) * (Bl >>> 0) - (ml >>> 0)) / 0x100000000 + 0.5) | 0;
  rl = (Al >>> 0) + (Bl >>> 0) + ((ml << 1) >>> 0);
  Ah = (Ah + Bh + ((mh << 1) | (ml >>> 31)) + ((rl / 0x100000000) | 0)) | 0;
  Al = rl | 0;
  xh = Dh ^ Ah; xl = Dl ^ Al;
  Dh = (xh >>> 16) | (xl << 16); Dl = (xh << 16) | (xl >>> 16);
  // C = blamka(C, D); B = rotr64(B ^ C, 63)
  ml = Math.imul(Cl, Dl);
  mh = (((Cl >>> 0) * (Dl >>> 0) - (ml >>> 0)) / 0x100000000 + 0.5) | 0;
  rl = (Cl >>> 0) + (Dl >>> 0) + ((ml << 1) >>> 0);
  Ch = (Ch + Dh + ((mh << 1) | (ml >>> 31)) + ((rl / 0x100000000) | 0)) | 0;
  Cl = rl | 0;
  xh = Bh ^ Ch; xl = Bl ^ Cl;
  Bh = (xh << 1) | (xl >>> 31); Bl = (xh >>> 31) | (xl << 1);
  R[2 * a] = Al; R[2 * a + 1] = Ah;
  R[2 * b] = Bl; R[2 * b + 1] = Bh;
  R[2 * c] = Cl; R[2 * c + 1] = Ch;
  R[2 * d] = Dl; R[2 * d + 1] = Dh;
}

// RFC 9106 Figures 17-18: the permutation P over 16 word indices of R (rows, then columns).
function P(
  v00: number, v01: number, v02: number, v03: number, v04: number, v05: number, v06: number, v07: number,
  v08: number, v09: number, v10: number, v11: number, v12: number, v13: number, v14: number, v15: number,
): void {
  G(v00, v04, v08, v12); G(v01, v05, v09, v13); G(v02, v06, v10, v14); G(v03, v07, v11, v15);
  G(v00, v05, v10, v15); G(v01, v06, v11, v12); G(v02, v07, v08, v13); G(v03, v04, v09, v14);
}

/**
 * out = G(X, Y) = P(X ^ Y) ^ X ^ Y, blocks of `x` at u32 offsets xPos, yPos, outPos; with `xor`
 * (version 0x13, passes after the first) the old out block is XORed in as well.
 */
function fillBlock(x: Uint32Array, xPos: number, yPos: number, outPos: number, xor: boolean): void {
  // Two loops rather than a test per word: this is the hot path.
  if (xor) for (let i = 0; i < 256; i++) x[outPos + i] ^= R[i] = x[xPos + i]! ^ x[yPos + i]!;
  else for (let i = 0; i < 256; i++) x[outPos + i] = R[i] = x[xPos + i]! ^ x[yPos + i]!;
  for (let i = 0; i < 128; i += 16) {
    P(i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7, i + 8, i + 9, i + 10, i + 11, i + 12, i + 13, i + 14, i + 15);
  }
  for (let i = 0; i < 16; i += 2) {
    P(i, i + 1, i + 16, i + 17, i + 32, i + 33, i + 48, i + 49, i + 64, i + 65, i + 80, i + 81, i + 96, i + 97, i + 112, i + 113);
  }
  for (let i = 0; i < 256; i++) x[outPos + i] ^= R[i]!;
}

/** The next address block: ADDRESS[0..256) = G(0, G(0, input block)), after bumping the counter. */
function nextAddresses(): void {
  ADDRESS[256 + 12]++;
  fillBlock(ADDRESS, 256, 512, 0, false);
  fillBlock(ADDRESS, 0, 512, 0, false);
}

/**
 * RFC 9106 §3.4.2: maps J1 (randL) to a block position in the reference lane. The area W is the
 * blocks computed so far that may be referenced; its size times J1²/2^64 is taken with the
 * exact-high-half trick of G.
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

/** RFC 9106 §3.2 steps 5-6: every block after the first two of each lane, t passes. */
function fillMemory(B: Uint32Array, laneLen: number, p: number, t: number): void {
  const segmentLen = laneLen / SYNC_POINTS;
  // The input block's fixed words (low halves; high halves stay 0): m', t, type.
  ADDRESS[256 + 6] = laneLen * p;
  ADDRESS[256 + 8] = t;
  ADDRESS[256 + 10] = TYPE_ID;
  for (let r = 0; r < t; r++) {
    const xor = r !== 0;
    ADDRESS[256 + 0] = r;
    for (let s = 0; s < SYNC_POINTS; s++) {
      ADDRESS[256 + 4] = s;
      // argon2id: Argon2i's data-independent addressing in pass 0, slices 0 and 1 (§3.4.1.3).
      const dataIndependent = r === 0 && s < 2;
      for (let l = 0; l < p; l++) {
        ADDRESS[256 + 2] = l;
        ADDRESS[256 + 12] = 0; // the counter
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
            randL = ADDRESS[2 * i128]!;
            randH = ADDRESS[2 * i128 + 1]!;
          } else {
            randL = B[256 * prev]!;
            randH = B[256 * prev + 1]!;
          }
          const refLane = r === 0 && s === 0 ? l : randH % p;
          const refPos = indexAlpha(r, s, laneLen, segmentLen, index, randL, refLane === l);
          fillBlock(B, 256 * prev, 256 * (laneLen * refLane + refPos), 256 * offset, xor);
        }
      }
    }
  }
}
