// lib/render.ts: exact MONO lines for every frame kind, role colours as SGR only with COLOR, and
// hostile text from a malicious server stripped before it reaches the terminal.
import { expect } from 'chai';
import colors from 'ansi-colors';
import type { EventFrame, MessageFrame, ServerFrame } from '../lib/protocol/frames.js';
import { clock, COLOR, MONO, paint, PALETTE, renderFrame, themeFor } from '../lib/render.js';

// Timestamps built from a local Date, so HH:MM:SS is the same in every time zone.
const TS = new Date(2024, 0, 2, 3, 4, 5).toISOString();
const T = '03:04:05';

const NOT_SGR = /\x1b(?!\[[0-9;]*m)/;
const ESC = /\x1b/;

const alice = { name: 'alice', role: 'user', color: 'cyan' };
const mod = { name: 'mod', role: 'moderator', color: 'yellow' };

function message(over: Partial<MessageFrame> = {}): MessageFrame {
  return { type: 'message', id: 'm1', ts: TS, room: 'lobby', from: alice, text: 'hello', kind: 'say', ...over };
}
function event(over: Partial<EventFrame> & Pick<EventFrame, 'event'>): EventFrame {
  return { type: 'event', room: 'lobby', ts: TS, ...over };
}

const MONO_CASES: [name: string, frame: ServerFrame, expected: string | null][] = [
  ['message say', message(), `${T} #lobby alice: hello`],
  ['message me', message({ kind: 'me', text: 'waves' }), `${T} #lobby * alice waves`],
  ['dm', { type: 'dm', id: 'd1', ts: TS, from: alice, to: 'bob', text: 'psst' }, `${T} [dm] alice -> bob: psst`],
  ['event join', event({ event: 'join', user: 'alice' }), `${T} #lobby -- alice joined`],
  ['event part', event({ event: 'part', user: 'alice' }), `${T} #lobby -- alice left`],
  ['event quit with reason', event({ event: 'quit', user: 'alice', reason: 'bye all' }), `${T} #lobby -- alice quit (bye all)`],
  ['event quit without room', event({ event: 'quit', user: 'alice', room: undefined }), `${T} -- alice quit`],
  ['event kick', event({ event: 'kick', user: 'bob', by: 'mod', reason: 'spam' }), `${T} #lobby -- bob was kicked by mod (spam)`],
  ['event ban', event({ event: 'ban', user: 'bob', by: 'mod', reason: 'spam' }), `${T} #lobby -- bob was banned by mod (spam)`],
  ['event unban', event({ event: 'unban', user: 'bob', by: 'mod' }), `${T} #lobby -- bob was unbanned by mod`],
  ['event mute', event({ event: 'mute', user: 'bob', by: 'mod', reason: '10m' }), `${T} #lobby -- bob was muted by mod (10m)`],
  ['event unmute', event({ event: 'unmute', user: 'bob', by: 'mod' }), `${T} #lobby -- bob was unmuted by mod`],
  ['event role', event({ event: 'role', user: 'bob', role: 'moderator', by: 'admin' }), `${T} #lobby -- bob is now moderator (set by admin)`],
  ['event topic', event({ event: 'topic', topic: 'release day', by: 'mod' }), `${T} #lobby -- topic is now: release day (set by mod)`],
  ['event announce', event({ event: 'announce', room: undefined, text: 'restart at 5', by: 'admin' }), `${T} -- announce: restart at 5 (from admin)`],
  ['result, several lines', { type: 'result', command: 'users', text: 'online: 2\n  alice  user\n  mod    moderator' }, 'online: 2\n  alice  user\n  mod    moderator'],
  ['result, empty', { type: 'result', command: 'join', text: '' }, null],
  ['error', { type: 'error', code: 'FORBIDDEN', message: 'not permitted' }, 'error FORBIDDEN: not permitted'],
  [
    'history',
    { type: 'history', room: 'lobby', messages: [message(), message({ id: 'm2', from: mod, text: 'hi', kind: 'me' })] },
    `${T} #lobby alice: hello\n${T} #lobby * mod hi`,
  ],
  ['history, empty', { type: 'history', room: 'lobby', messages: [] }, null],
  [
    'login_ok with motd',
    { type: 'login_ok', user: { ...alice, level: 1 }, room: 'lobby', motd: 'Welcome.\nBe nice.' },
    'logged in as alice (user)\nWelcome.\nBe nice.',
  ],
  ['login_ok without motd', { type: 'login_ok', user: { ...alice, level: 1 }, room: 'lobby', motd: '' }, 'logged in as alice (user)'],
  [
    'welcome',
    { type: 'welcome', server: 'chatd', version: '0.1.0', protocol: 1, prefix: '//', cert_user: 'alice' },
    'connected to chatd',
  ],
  ['bye', { type: 'bye', code: 'KICKED', reason: 'kicked by mod' }, 'disconnected: KICKED kicked by mod'],
  ['bye without reason', { type: 'bye', code: 'SHUTDOWN', reason: '' }, 'disconnected: SHUTDOWN'],
  ['ping', { type: 'ping' }, null],
  ['pong', { type: 'pong' }, null],
];

// Every text field of every frame kind carries something hostile; none of it may reach the terminal.
const EVIL = '\x1b]0;pwned\x07\x1b[2J\u202e[red]';
const HOSTILE_FRAMES: ServerFrame[] = [
  message({ room: `lob${EVIL}by`, from: { name: `ev${EVIL}e`, role: 'user', color: 'cyan' }, text: `hi${EVIL}\nforged` }),
  message({ kind: 'me', from: { name: 'eve', role: 'user', color: '\x1b[5m' }, text: `\x1b]52;c;ZXZpbA==\x07waves` }),
  { type: 'dm', id: 'd', ts: TS, from: { name: `e${EVIL}ve`, role: 'user', color: 'red' }, to: `b${EVIL}ob`, text: `x${EVIL}` },
  event({ event: 'ban', user: `b${EVIL}ob`, by: `m${EVIL}od`, reason: `\x9b2J${EVIL}spam` }),
  event({ event: 'topic', topic: `\x1bP1$r${EVIL}` }),
  event({ event: 'role', user: 'bob', role: `ad${EVIL}min` }),
  event({ event: 'announce', text: `\x1b_G${EVIL}\x1b\\news` }),
  { type: 'result', command: 'users', text: `line1${EVIL}\n\x1b[31mline2\r\n` },
  { type: 'error', code: `FORBIDDEN${EVIL}` as 'FORBIDDEN', message: `no${EVIL}` },
  { type: 'history', room: 'lobby', messages: [message({ text: `old${EVIL}` })] },
  { type: 'login_ok', user: { name: `al${EVIL}ice`, role: `us${EVIL}er`, color: 'cyan', level: 1 }, room: 'lobby', motd: `hi${EVIL}\nthere` },
  { type: 'welcome', server: `chatd${EVIL}`, version: '1', protocol: 1, prefix: '//', cert_user: null },
  { type: 'bye', code: 'KICKED', reason: `out${EVIL}` },
];

describe('render', () => {
  describe('renderFrame with MONO: exact lines', () => {
    for (const [name, frame, expected] of MONO_CASES) {
      it(name, () => {
        expect(renderFrame(frame, MONO)).to.equal(expected);
      });
    }
  });

  describe('renderFrame with COLOR', () => {
    it("wraps the sender's name in its role colour", () => {
      expect(renderFrame(message(), COLOR)).to.equal(`${T} #lobby \x1b[36malice\x1b[39m: hello`);
      expect(renderFrame(message({ from: mod, kind: 'me', text: 'waves' }), COLOR)).to.equal(`${T} #lobby * \x1b[33mmod\x1b[39m waves`);
      const dm = renderFrame({ type: 'dm', id: 'd', ts: TS, from: { ...alice, color: 'redBright' }, to: 'bob', text: 'x' }, COLOR);
      expect(dm).to.equal(`${T} [dm] \x1b[91malice\x1b[39m -> bob: x`);
    });

    it('leaves the name plain for a colour outside the palette', () => {
      expect(renderFrame(message({ from: { ...alice, color: 'chartreuse' } }), COLOR)).to.equal(`${T} #lobby alice: hello`);
      expect(renderFrame(message({ from: { ...alice, color: 'hidden' } }), COLOR)).to.equal(`${T} #lobby alice: hello`);
    });

    it('dims events and paints errors red', () => {
      expect(renderFrame(event({ event: 'join', user: 'alice' }), COLOR)).to.equal(`\x1b[2m${T} #lobby -- alice joined\x1b[22m`);
      expect(renderFrame({ type: 'error', code: 'MUTED', message: 'you are muted' }, COLOR)).to.equal('\x1b[31merror MUTED: you are muted\x1b[39m');
    });

    it('emits nothing but SGR sequences, for every frame kind', () => {
      for (const frame of [...MONO_CASES.map(([, f]) => f), ...HOSTILE_FRAMES]) {
        const out = renderFrame(frame, COLOR);
        if (out !== null) expect(out, JSON.stringify(frame)).not.to.match(NOT_SGR);
      }
    });
  });

  describe('hostile text inside frames', () => {
    for (const frame of HOSTILE_FRAMES) {
      it(`${frame.type}${frame.type === 'event' ? ' ' + frame.event : ''}: stripped in MONO and in COLOR`, () => {
        const mono = renderFrame(frame, MONO);
        expect(mono).to.be.a('string');
        expect(mono).not.to.match(ESC);
        expect(mono).not.to.match(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]|\[red\]|pwned/u); // only '\n' between lines
        expect(renderFrame(frame, COLOR)).not.to.match(NOT_SGR);
      });
    }

    it('renders a message exactly, with hostile name, room and text cleaned', () => {
      expect(renderFrame(HOSTILE_FRAMES[0]!, MONO)).to.equal(`${T} #lobby eve: hi forged`);
    });

    it('a run of blanks is one space: padding cannot push a forged line to the start of the next row', () => {
      // "ok", then enough blanks to wrap an 80-column terminal, then what looks like a line of its own.
      const forged = `${T} #lobby -- eve is now admin (set by owner)`;
      for (const pad of [' '.repeat(300), '\u00a0'.repeat(300), '\u3000'.repeat(150), '\u2800'.repeat(300), ' \u2007\u205f\u2800'.repeat(80)]) {
        expect(renderFrame(message({ from: { name: 'eve', role: 'user', color: 'cyan' }, text: `ok${pad}${forged}` }), MONO)).to.equal(`${T} #lobby eve: ok ${forged}`);
        expect(renderFrame({ type: 'dm', id: 'd', ts: TS, from: alice, to: 'bob', text: `a${pad}b` }, MONO)).to.equal(`${T} [dm] alice -> bob: a b`);
        expect(renderFrame(event({ event: 'kick', user: 'bob', by: 'mod', reason: `x${pad}y` }), MONO)).to.equal(`${T} #lobby -- bob was kicked by mod (x y)`);
        expect(renderFrame(event({ event: 'topic', topic: `x${pad}y`, by: 'mod' }), MONO)).to.equal(`${T} #lobby -- topic is now: x y (set by mod)`);
      }
      // One blank of any kind stays as it is; a server's own result tables keep their alignment.
      expect(renderFrame(message({ text: 'a\u3000b c' }), MONO)).to.equal(`${T} #lobby alice: a\u3000b c`);
      expect(renderFrame({ type: 'result', command: 'users', text: 'alice  user\nmod    moderator' }, MONO)).to.equal('alice  user\nmod    moderator');
    });

    it('survives missing and mistyped fields from a broken server', () => {
      const broken = [
        { type: 'message', ts: 42, room: null, from: null, text: { x: 1 }, kind: 'say' },
        { type: 'dm', from: 'alice' },
        { type: 'event', event: 'nonsense', user: 7 },
        { type: 'history', room: 'lobby', messages: 'not an array' },
        { type: 'history', room: 'lobby', messages: [null, 3] },
        { type: 'login_ok', user: {}, motd: 5 },
        { type: 'error' },
        { type: 'bye' },
        { type: 'whatever' },
      ] as unknown as ServerFrame[];
      const out = broken.map((f) => renderFrame(f, MONO));
      expect(out).to.deep.equal([
        '--:--:-- # ?: ',
        '--:--:-- [dm] ? -> ?: ',
        '--:--:-- -- ? nonsense',
        null,
        null,
        'logged in as ? (?)',
        'error INTERNAL: ',
        'disconnected: ?',
        null,
      ]);
    });
  });

  describe('paint', () => {
    it('wraps in SGR with COLOR, for palette colours only', () => {
      expect(paint(COLOR, 'cyan', 'x')).to.equal('\x1b[36mx\x1b[39m');
      expect(paint(COLOR, 'magentaBright', 'x')).to.equal('\x1b[95mx\x1b[39m');
      expect(paint(COLOR, 'nope', 'x')).to.equal('x');
      expect(paint(COLOR, 'cyan', '')).to.equal('');
    });

    it('never colours with MONO', () => {
      for (const c of PALETTE) expect(paint(MONO, c, 'x')).to.equal('x');
    });

    it('offers the role palette: the default role colours and their bright variants', () => {
      for (const c of ['cyan', 'yellow', 'red', 'magenta', 'green', 'blue', 'white', 'gray', 'redBright']) {
        expect(PALETTE).to.include(c);
      }
      expect(PALETTE).not.to.include('hidden');
    });

    it('does not touch the shared ansi-colors instance', () => {
      const before = colors.enabled;
      renderFrame(message(), COLOR);
      expect(colors.enabled).to.equal(before);
    });
  });

  describe('clock', () => {
    it('formats local HH:MM:SS from an ISO string or a Date', () => {
      expect(clock(TS)).to.equal(T);
      expect(clock(new Date(2024, 11, 31, 23, 59, 9))).to.equal('23:59:09');
    });
    it('shows placeholders for a bad timestamp', () => {
      expect(clock('yesterday-ish')).to.equal('--:--:--');
    });
  });

  describe('themeFor', () => {
    it('colours a terminal, not a pipe, and respects NO_COLOR', () => {
      expect(themeFor({ isTTY: true }, {})).to.equal(COLOR);
      expect(themeFor({ isTTY: false }, {})).to.equal(MONO);
      expect(themeFor({}, {})).to.equal(MONO);
      expect(themeFor({ isTTY: true }, { NO_COLOR: '1' })).to.equal(MONO);
    });
  });
});
