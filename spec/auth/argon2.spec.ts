import { expect } from 'chai';
import { argon2id as nobleArgon2id } from '@noble/hashes/argon2.js';
import { argon2id, type Argon2idParams } from '../../lib/auth/argon2.js';
import { mulberry32 } from '../helpers/random.js';

// RFC 9106 §5.3's argon2id vector needs a secret and associated data, which this argon2id does not
// take; these come from the reference implementation instead (phc-winner-argon2 src/test.c, and
// the 16-lane one from libar2's tests), password "password".
const REFERENCE: Array<[salt: string, params: Argon2idParams, tagBase64: string]> = [
  ['somesalt', { m: 256, t: 2, p: 1, dkLen: 32 }, 'nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4'],
  ['somesalt', { m: 256, t: 2, p: 2, dkLen: 32 }, 'bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc'],
  ['somesalt', { m: 65536, t: 1, p: 1, dkLen: 32 }, '9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg'],
  ['somesalt', { m: 2048, t: 16, p: 16, dkLen: 32 }, 'FRWpYzcrsos+DHNInvfsl0g8mZBdPqUdarIYh/Pnc1g'],
];

// Computed with @noble/hashes 2.4.0 (argon2id, version 0x13), salt "saltsaltsalt", pinned so that
// a change in noble shows up here rather than being compared with itself: long tags (H' over 64
// bytes, with and without T a multiple of 32), a 64-byte tag (native), non-ASCII passwords.
const PINNED: Array<[password: string, params: Argon2idParams, tagHex: string]> = [
  ['hunter2', { m: 8, t: 1, p: 1, dkLen: 65 },
    '0ed4b5f989d12a79bb532a124aa9e8ed83dfe3d13a28dea1e600936081cbb6ecf30ecd093286a7f2c52352415024cb0e61ed388ae71222d18493ea4094accbf5c3'],
  ['pässwörd 😀𝒳', { m: 100, t: 3, p: 3, dkLen: 100 },
    '0ef45df94f9587e40472cafdaf6896127144558baf44865accd269af2eddd35aee152c7b5a8b81b90e2aaae3219cc66d41d314c5959bf2e36b6ba52df8bf88e65b3cea8ce63313944fc0d468170cd3cc7d732d87222b708a69ef5e648070e5d7305b5b31'],
  ['\u0000\ud800x', { m: 64, t: 2, p: 2, dkLen: 128 },
    '078682acfa22c9501fddf55a78589f1adea81c0942e3767549689798989066c94af38e32851d871e72627b52e760af69721ff4a3b46d40a7e6cbfde24323420caf64d611c8f179da8784e71ebe89fb910ca09372608315309445d381b8bd18a69c1d58579ef43f58e92613a057e1859265b09e9438ff393f0b01a28c259350f9'],
  ['correct horse', { m: 1000, t: 2, p: 1, dkLen: 64 },
    '1136609843c6f274280266d011841cc3163e65c117ee86d72e8c9c9ae55e55dc42ef6cfd5a51fffc49c13b7b3eea0c0f3b2cf2a508dce8fff0a6ead05c900654'],
];

const noble = (password: string | Uint8Array, salt: Uint8Array, params: Argon2idParams): Uint8Array =>
  nobleArgon2id(password, salt, { ...params, version: 0x13 });

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('argon2id (lib/auth/argon2)', () => {
  it('matches the reference implementation’s vectors', () => {
    for (const [salt, params, tag] of REFERENCE) {
      const ours = Buffer.from(argon2id('password', Buffer.from(salt), params)).toString('base64').replace(/=+$/, '');
      expect(ours, JSON.stringify(params)).to.equal(tag);
    }
  });

  it('matches pinned noble outputs (long tags, a 64-byte tag, non-ASCII and lone-surrogate passwords)', () => {
    for (const [password, params, tag] of PINNED) {
      const ours = hex(argon2id(password, Buffer.from('saltsaltsalt'), params));
      expect(ours, `${JSON.stringify(password)} ${JSON.stringify(params)}`).to.equal(tag);
    }
  });

  it('equals noble at the edges: m = 8p, m not a multiple of 4p, tag lengths around 64 and 32·k', () => {
    const salt = Buffer.from('0123456789abcdef');
    const cases: Argon2idParams[] = [];
    for (let p = 1; p <= 4; p++) {
      for (const m of [8 * p, 8 * p + 1, 8 * p + 3, 12 * p - 1, 40 * p + 2 * p + 1]) cases.push({ m, t: 1 + (m % 3), p, dkLen: 32 });
    }
    for (const dkLen of [4, 16, 31, 32, 33, 63, 64, 65, 95, 96, 97, 100, 127, 128, 129, 1024]) cases.push({ m: 16, t: 1, p: 1, dkLen });
    for (const params of cases) expect(hex(argon2id('pw', salt, params)), JSON.stringify(params)).to.equal(hex(noble('pw', salt, params)));
  });

  it('equals noble on 200 random cases (passwords, salts, m, t, p, dkLen)', () => {
    const random = mulberry32(0x9106);
    const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    const mismatches: string[] = [];
    for (let i = 0; i < 200; i++) {
      const p = int(1, 4);
      const params: Argon2idParams = {
        p,
        t: int(1, 4),
        m: 8 * p + Math.floor(random() ** 3 * 3000), // mostly small, some up to ~3 MiB
        dkLen: random() < 0.8 ? int(16, 64) : [65, 96, 100, 128, int(65, 200)][int(0, 4)]!,
      };
      const salt = Uint8Array.from({ length: int(8, 64) }, () => int(0, 255));
      const password = random() < 0.2 ? Uint8Array.from({ length: int(0, 40) }, () => int(0, 255)) : randomPassword(int(0, 24), int);
      const [ours, theirs] = [hex(argon2id(password, salt, params)), hex(noble(password, salt, params))];
      if (ours !== theirs) mismatches.push(`case ${i}: ${JSON.stringify({ ...params, password: String(password) })}`);
    }
    expect(mismatches).to.deep.equal([]);
  });

  it('encodes a string password as UTF-8, as noble does', () => {
    const salt = Buffer.from('saltsaltsalt');
    const params = { m: 8, t: 1, p: 1, dkLen: 32 };
    expect(hex(argon2id('é😀', salt, params))).to.equal(hex(argon2id(Buffer.from('é😀', 'utf8'), salt, params)));
  });

  it('refuses what RFC 9106 (or noble) refuses', () => {
    const salt = Buffer.from('saltsaltsalt');
    const bad: Array<[Uint8Array, Argon2idParams]> = [
      [salt, { m: 15, t: 1, p: 2, dkLen: 32 }], // m < 8p
      [salt, { m: 8, t: 0, p: 1, dkLen: 32 }],
      [salt, { m: 8, t: 1, p: 0, dkLen: 32 }],
      [salt, { m: 8, t: 1.5, p: 1, dkLen: 32 }],
      [salt, { m: 8, t: 1, p: 1, dkLen: 3 }],
      [salt.subarray(0, 7), { m: 8, t: 1, p: 1, dkLen: 32 }],
    ];
    for (const [s, params] of bad) expect(() => argon2id('pw', s, params), JSON.stringify(params)).to.throw(RangeError);
  });
});

/** A password of `length` code points from ASCII, Latin-1, combining marks, CJK and astral planes. */
function randomPassword(length: number, int: (min: number, max: number) => number): string {
  const ranges: Array<[number, number]> = [
    [0x20, 0x7e], [0xa0, 0xff], [0x300, 0x36f], [0x4e00, 0x9fff], [0x1f300, 0x1faff], [0x1d400, 0x1d7ff],
  ];
  return Array.from({ length }, () => {
    const [lo, hi] = ranges[int(0, ranges.length - 1)]!;
    return String.fromCodePoint(int(lo, hi));
  }).join('');
}

/** A small seeded PRNG, so a failing case can be run again. */
