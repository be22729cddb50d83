// The sanitizer of DESIGN.md "Sanitizer and renderer": every piece of client text (message, topic,
// reason, announce) passes through sanitizeText once at ingress, and the renderer runs it again before
// printing. Its output is inert in a terminal: no escape sequence, no control character, no bidi or
// invisible character, no mIRC code and no Rich/BBCode style tag survives, and running it twice changes
// nothing (sanitizeText(sanitizeText(x)) === sanitizeText(x)). Colours come only from the sender's role.
//
// Every regex below is linear: no nested or adjacent quantifiers that can overlap, and the only lazy
// quantifiers end in an alternative (`$`) that always succeeds, so hostile 16 KiB lines cost O(n).
import { ChatdError } from './errors.js';
import { MAX_TEXT } from './limits.js';

// ---------------------------------------------------------------------------------------------------
// Pass 1: escape sequences, controls, mIRC codes, invisible characters.

/**
 * The invisible set, derived from Unicode properties rather than listed by hand (a hand list missed
 * U+1D173–U+1D17A, U+1BCA0–U+1BCA3, U+13430, U+110BD, U+180B–U+180F and U+FE0F: issue 20): every
 * Default_Ignorable_Code_Point (zero-width characters, joiners, variation selectors, fillers, tag
 * characters, invisible operators) and every format character (Cf: bidi marks, embeddings, overrides
 * and isolates, soft hyphen, interlinear annotation, Egyptian and Kaithi format controls), plus lone
 * surrogates (a `u`-flag class only matches unpaired halves). The property tables are the engine's, so
 * a Unicode update of Node widens the set without a code change.
 *
 * Emoji sequences: DESIGN removes zero-width characters, so U+200D ZERO WIDTH JOINER goes everywhere,
 * inside emoji sequences too: a family becomes its members side by side, nothing visible is lost, and
 * no joiner can glue invisible runs together. The emoji presentation selectors VS15/VS16 (U+FE0E,
 * U+FE0F) are kept in one place only: right after a pictographic emoji, where they are part of how it looks
 * ("❤️"); anywhere else, repeated, or alone they go (STRAY_PRESENTATION below). Every other variation
 * selector goes, ideographic ones included (a CJK glyph variant falls back to its base character).
 */
export const INVISIBLE = '\\p{Default_Ignorable_Code_Point}\\p{Cf}\\ud800-\\udfff';

/** VS15/VS16, which pass 1 judges by their context (see INVISIBLE). */
const PRESENTATION = '[\\ufe0e\\ufe0f]';

/**
 * A presentation selector not right after a pictographic emoji (Extended_Pictographic: digits, '#' and
 * '*' are "emoji" only as keycaps, and "1\u20e3" shows the keycap without the selector). Judged in pass 1,
 * after the other invisibles are gone and before markup: removing a selector can complete a style tag
 * ("[\ufe0eb]"), and removing markup never separates a kept selector from its emoji, so the result is
 * idempotent.
 */
const STRAY_PRESENTATION = new RegExp(`(?<!\\p{Extended_Pictographic})${PRESENTATION}`, 'gu');

// One alternation, tried left to right at each position, so a sequence introducer is always consumed
// together with its body and never left behind as a lone ESC or C1 character.
const STRIP = new RegExp(
  [
    // OSC (ESC ] or U+009D) up to BEL or ST (ESC \ or U+009C). Unterminated, it swallows the rest of
    // the text, as a terminal would: OSC 8 hyperlinks, OSC 52 clipboard writes, window titles.
    '(?:\\x1b\\]|\\x9d)[^]*?(?:\\x07|\\x1b\\\\|\\x9c|$)',
    // DCS, SOS, PM, APC (ESC P/X/^/_ or U+0090/0098/009E/009F) up to ST, or the rest of the text.
    '(?:\\x1b[PX^_]|[\\x90\\x98\\x9e\\x9f])[^]*?(?:\\x1b\\\\|\\x9c|$)',
    // CSI (ESC [ or U+009B): parameter and intermediate bytes, then a final byte if there is one.
    '(?:\\x1b\\[|\\x9b)[\\x20-\\x3f]*[\\x40-\\x7e]?',
    // Any other escape: intermediates (ESC ( B, ESC # 8) and one final character that is not a control;
    // an ESC before a control or at the end goes alone, so ESC ESC [ still starts a CSI.
    '\\x1b[\\x20-\\x2f]*[^\\x00-\\x1f\\x7f-\\x9f]?',
    // mIRC colour ^C with up to two digits, optionally a comma and up to two more ("\x0312,04"),
    // and hex colour ^D RRGGBB[,RRGGBB]. The other mIRC codes are plain C0 controls, removed below.
    '\\x03(?:[0-9]{1,2}(?:,[0-9]{1,2})?)?',
    '\\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?',
    // Every remaining C0/C1 control, DEL and invisible character, line breaks included; presentation
    // selectors are left to STRAY_PRESENTATION, which judges them by what precedes them.
    `(?!${PRESENTATION})[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029${INVISIBLE}]`,
  ].join('|'),
  'gu',
);

/** Tab, CR, LF and the line and paragraph separators become one space each; every other match vanishes. */
const BREAKS = new Set(['\t', '\n', '\r', '\u2028', '\u2029']);
const toSpaceOrNothing = (m: string): string => (BREAKS.has(m) ? ' ' : '');

// ---------------------------------------------------------------------------------------------------
// Pass 2: Rich/BBCode style markup.
//
// A bracket group is a '[' and the first ']' after it with no bracket in between, as Rich's own tag
// regex sees it; removing one can expose its parent, so "[[red]red]" loses both. A group is removed when
//   (a) its text starts like a style tag by the external checker's rule (STYLE_TAG_START below: the
//       rule the whole output is held to, which also catches "[bold claim]" or "[red-team]"), or
//   (b) every word in it is a style word ([i], [d], [not bold], [color=red], [/], [link=…], [rgb(1,2,3)]).
// Ordinary brackets stay: arr[0], [1], [citation needed], [sic], [x], [WIP], [ ], [TODO].

/**
 * The external checker's style-tag rule, /\[\/?\s*(?:…)\b[^\]]*\]/i, cut to what follows the '['.
 * Anchored, and without the `u` flag on purpose: case-insensitive matching then works exactly as in the
 * checker (U+212A KELVIN SIGN is not "k"; NFC has already turned it into "K" anyway).
 */
const STYLE_TAG_START =
  /^\/?\s*(?:bold|dim|italic|underline|blink|reverse|strike|conceal|red|green|blue|yellow|magenta|cyan|white|black|bright_\w+|#[0-9a-f]{3,6}|rgb\(|color|link|on\s+\w+|b|u|s)\b/i;

/** Rich's style attributes with their one-letter aliases, its keywords, and BBCode's b/i/u/s/url/color. */
const STYLE_WORDS = new Set([
  'bold', 'b', 'dim', 'd', 'italic', 'i', 'underline', 'u', 'underline2', 'uu', 'blink', 'blink2', 'rapid',
  'reverse', 'r', 'strike', 's', 'conceal', 'c', 'frame', 'encircle', 'overline', 'o',
  'not', 'on', 'link', 'color', 'bgcolor', 'url', 'default', 'none',
]);

/**
 * Rich's colour names (the 16 standard ones and the 256-colour xterm names) without their trailing
 * number: "dark_orange3" and "grey37" are looked up as "dark_orange" and "grey".
 */
const COLOR_NAMES = new Set([
  'black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white', 'grey', 'gray',
  'aquamarine', 'blue_violet', 'cadet_blue', 'chartreuse', 'cornflower_blue', 'cornsilk', 'dark_blue',
  'dark_cyan', 'dark_goldenrod', 'dark_green', 'dark_khaki', 'dark_magenta', 'dark_olive_green',
  'dark_orange', 'dark_red', 'dark_sea_green', 'dark_slate_gray', 'dark_turquoise', 'dark_violet',
  'deep_pink', 'deep_sky_blue', 'dodger_blue', 'gold', 'green_yellow', 'honeydew', 'hot_pink',
  'indian_red', 'khaki', 'light_coral', 'light_cyan', 'light_goldenrod', 'light_green', 'light_pink',
  'light_salmon', 'light_sea_green', 'light_sky_blue', 'light_slate_blue', 'light_slate_gray',
  'light_slate_grey', 'light_steel_blue', 'light_yellow', 'medium_orchid', 'medium_purple',
  'medium_spring_green', 'medium_turquoise', 'medium_violet_red', 'misty_rose', 'navajo_white',
  'navy_blue', 'orange', 'orange_red', 'orchid', 'pale_green', 'pale_turquoise', 'pale_violet_red',
  'pink', 'plum', 'purple', 'rosy_brown', 'royal_blue', 'salmon', 'sandy_brown', 'sea_green', 'sky_blue',
  'slate_blue', 'spring_green', 'steel_blue', 'tan', 'thistle', 'turquoise', 'violet', 'wheat',
]);

/** A colour name, optionally bright_, optionally numbered: group 1 is the name to look up. */
const COLOR_WORD = /^(?:bright_)?([a-z_]+)[0-9]*$/;

/** Colour and link forms: #rgb, #rrggbb, rgb(r,g,b), color(n), key=value, Textual's @click. */
const STYLE_FORM = /^(?:#[0-9a-f]{3}|#[0-9a-f]{6}|rgb\(\d{1,3},\d{1,3},\d{1,3}\)|color\(\d{1,3}\)|(?:color|bgcolor|link|url|@click)=.*|@click)$/;

/** "[color=red]", "[url = https://x]", "[link=https://x y]": the value is the rest of the tag. */
const KEY_VALUE = /^(?:color|bgcolor|link|url|@click)\s*=/i;

/** Every style word starts with a letter, '#' (hex) or '@' (Textual's @click). */
const STYLE_SPEC_START = /^[a-z#@]/i;

const MAX_STYLE_WORD = 40; // longer than any style word; keeps the per-word regexes trivially cheap

function isStyleWord(word: string): boolean {
  if (STYLE_WORDS.has(word) || STYLE_FORM.test(word)) return true;
  if (word.length > MAX_STYLE_WORD) return false;
  const m = COLOR_WORD.exec(word);
  return m !== null && COLOR_NAMES.has(m[1]!);
}

/** Whether every word of a bracket group's text is a style word (rule b); "" and "   " are not. */
function isStyleSpec(text: string): boolean {
  let spec = text.trim();
  if (spec.startsWith('/')) {
    spec = spec.slice(1).trim();
    if (spec === '') return true; // [/] closes the last tag
  }
  if (!STYLE_SPEC_START.test(spec)) return false; // "", [1], [ ], [...]: most brackets end here
  if (KEY_VALUE.test(spec)) return true;
  const parts = spec.toLowerCase().split(/\s+/);
  for (let i = 0; i < parts.length; i++) {
    let word = parts[i]!;
    // "rgb( 1, 2, 3 )" was split inside its parentheses: glue the pieces back together.
    while (word.includes('(') && !word.includes(')') && i + 1 < parts.length && word.length <= MAX_STYLE_WORD) {
      word += parts[++i];
    }
    if (!isStyleWord(word)) return false;
  }
  return true;
}

/** How much of a lead STYLE_TAG_START can look at, once whitespace runs are collapsed (see dropOpen). */
const LEAD_WINDOW = 64;
const NON_ASCII = /[^\x00-\x7f]/;

/** Index of the next `ch` in s at or after `from`, or s.length. */
function next(s: string, ch: string, from: number): number {
  const i = s.indexOf(ch, from);
  return i < 0 ? s.length : i;
}

/**
 * Removes style markup in one left-to-right pass with a stack of open brackets; the result is the
 * fixpoint of "remove every innermost style group", computed in linear time (repeating a regex
 * replace would be quadratic on "[[[[red]red]red]red]").
 */
function stripMarkup(s: string, ascii: boolean): string {
  const first = s.indexOf('[');
  if (first < 0 || s.indexOf(']', first) < 0) return s; // no ']' after any '[': nothing to pair
  // Group texts are NFC'd before they are judged, as they will read once the text around a removed
  // tag joins up ("[redo[b]\u0301]" reads "[redó]"); ASCII-only text needs no such care.
  const nfc = ascii ? (t: string): string => t : (t: string): string => t.normalize('NFC');
  const out: string[] = []; // text pieces and single '[' / ']' tokens
  const openAt: number[] = []; // index in out of each '[' not closed yet, innermost last
  const keptChild: boolean[] = []; // whether a kept bracket group sits inside it
  let openPos = first;
  let closePos = next(s, ']', first);
  for (let pos = 0; pos < s.length; ) {
    if (openPos < pos) openPos = next(s, '[', pos);
    if (closePos < pos) closePos = next(s, ']', pos);
    const stop = Math.min(openPos, closePos);
    if (stop > pos) {
      out.push(s.slice(pos, stop));
      pos = stop;
      continue;
    }
    pos++;
    if (stop === openPos) {
      openAt.push(out.length);
      keptChild.push(false);
      out.push('[');
      continue;
    }
    const at = openAt.pop();
    const hasKeptChild = keptChild.pop();
    if (at === undefined) {
      out.push(']'); // a stray ']' is text
      continue;
    }
    // The group's lead is its text up to the first bracket; without a kept child that is all of it.
    let lead = '';
    for (let i = at + 1; i < out.length && out[i] !== '['; i++) lead += out[i];
    lead = nfc(lead);
    if (STYLE_TAG_START.test(lead) || (!hasKeptChild && isStyleSpec(lead))) {
      out.length = at; // drop the tag; its parent may now be a tag in turn
    } else {
      out.push(']');
      if (keptChild.length > 0) keptChild[keptChild.length - 1] = true;
    }
  }
  if (openAt.length > 0) dropOpen(out, openAt, nfc);
  return out.join('');
}

/**
 * Brackets that never closed are text for Rich, but the checker pairs a '[' with ANY later ']', so
 * "[red [1]" would still read as a tag. Such a '[' is dropped when its lead starts like a tag and a ']'
 * follows somewhere. Dropping one joins its lead to the text before it ("[" + "[bold x [1]"), so leads
 * are carried right to left; a long one is cut short (whitespace collapsed, first LEAD_WINDOW
 * characters, far more than STYLE_TAG_START reads) so a run of such brackets stays linear.
 */
function dropOpen(out: string[], openAt: number[], nfc: (t: string) => string): void {
  const lastClose = out.lastIndexOf(']');
  const dropped: number[] = []; // emptied after the loop, so every scan below still stops at them
  let carried = ''; // lead of the '[' just to the right, if that one was dropped
  let carriedFrom = -1; // its index in out
  for (let k = openAt.length - 1; k >= 0; k--) {
    const at = openAt[k]!;
    if (at > lastClose) continue; // no ']' after it: harmless, and it still ends the lead on its left
    let lead = '';
    let i = at + 1;
    for (; i < out.length && out[i] !== '[' && out[i] !== ']'; i++) lead += out[i];
    if (i === carriedFrom) lead += carried;
    lead = nfc(lead);
    if (lead.length > LEAD_WINDOW) lead = lead.replace(/\s+/g, ' ').slice(0, LEAD_WINDOW);
    if (STYLE_TAG_START.test(lead)) {
      dropped.push(at);
      carried = lead;
      carriedFrom = at;
    }
  }
  for (const at of dropped) out[at] = '';
}

// ---------------------------------------------------------------------------------------------------
// Pass 3: combining marks stacked deep ("Zalgo").

/**
 * At most this many combining marks (\p{M}) in a row, the first ones. Hundreds of marks on one letter
 * are drawn above and below its cell, over the lines around it (VTE, kitty, browsers): one message
 * could paint over the screen of everyone in a room. After NFC, which folds the usual accents into
 * precomposed letters, real text stays well within 4 (Vietnamese 2, Thai 2, pointed Hebrew and
 * Tibetan stacks 3, Arabic 2); Unicode's own Stream-Safe format (UAX #15) allows 30, far too tall.
 */
export const MAX_MARKS = 4;
/**
 * A mark with MAX_MARKS marks right before it: each one past the cap, matched alone. Not
 * `(\p{M}{4})\p{M}+`: a `u`-flag class under `+` pushes a backtrack entry per character, and a run of
 * ~4.2 million marks (an 8 MiB line chat-cli accepts from a server) overflowed V8's regexp stack
 * (RangeError, thrown out of the renderer). The lookbehind reads at most MAX_MARKS back: linear, no stack.
 */
const MARK_RUN = new RegExp(`(?<=\\p{M}{${MAX_MARKS}})\\p{M}`, 'gu');
const TOO_MANY_MARKS = new RegExp(`\\p{M}{${MAX_MARKS + 1}}`, 'u');

/**
 * Runs of marks cut to MAX_MARKS, last: markup removal can join two runs ("a\u0301[b]\u0301"). NFC
 * again after a cut (a mark that blocked a composition may be gone), which only shortens runs, and
 * never makes a style tag (a mark stays where one was), so a second pass changes nothing.
 */
function capMarks(s: string): string {
  return TOO_MANY_MARKS.test(s) ? s.replace(MARK_RUN, '').normalize('NFC') : s;
}

// ---------------------------------------------------------------------------------------------------
// Public API

// Fast path: most chat lines are printable ASCII without '[' and without surrounding blanks; such a
// line is already NFC and is returned as is after a single regex test.
const PLAIN_ASCII = /^(?:[\x21-\x5a\x5c-\x7e](?:[\x20-\x5a\x5c-\x7e]*[\x21-\x5a\x5c-\x7e])?)?$/;
// Other text may skip the work only if it is NFC already and has nothing to remove.
const CONTROLS = new RegExp(`[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029${INVISIBLE}]`, 'u');
const EDGE_SPACE = /^\s|\s$/;

function isClean(s: string, ascii: boolean): boolean {
  return !s.includes('[') && !CONTROLS.test(s) && !EDGE_SPACE.test(s) && (ascii || (s.normalize('NFC') === s && !TOO_MANY_MARKS.test(s)));
}

/** Pass 1 after NFC. ASCII is NFC already, so `ascii` text skips both normalizations. */
function stripControls(s: string, ascii: boolean): string {
  const text = ascii ? s : s.normalize('NFC');
  return CONTROLS.test(text) ? text.replace(STRIP, toSpaceOrNothing).replace(STRAY_PRESENTATION, '') : text;
}

/**
 * Pass 2, then NFC again: removals can bring a base character and a combining mark together
 * ("e\u200b\u0301"); then pass 3. ASCII has no marks.
 */
function stripStyle(s: string, ascii: boolean): string {
  const text = stripMarkup(s, ascii);
  return ascii ? text : capMarks(text.normalize('NFC'));
}

/**
 * Makes untrusted text inert, exactly as DESIGN.md specifies: NFC; escape sequences, controls, DEL, mIRC
 * codes and the invisible set (INVISIBLE: bidi, zero-width, tag, every default-ignorable and format
 * character) removed (tab, CR, LF, U+2028, U+2029 → one space each);
 * Rich/BBCode style tags removed until none is left; surrounding whitespace trimmed. Idempotent.
 * A non-string gives "".
 */
export function sanitizeText(input: string): string {
  if (typeof input !== 'string') return '';
  if (PLAIN_ASCII.test(input)) return input;
  const ascii = !NON_ASCII.test(input);
  if (isClean(input, ascii)) return input;
  return stripStyle(stripControls(input, ascii), ascii).trim();
}

/**
 * sanitizeText for multi-line text the server itself composes (command results, the motd): line breaks
 * and indentation stay, trailing blanks and surrounding empty lines go. Controls are stripped line by
 * line (an unterminated OSC ends with its line), style markup across lines, since the checker's tag
 * rule does not stop at a line break ("[red\nx]").
 */
export function sanitizeLines(input: string): string {
  if (typeof input !== 'string') return '';
  const ascii = !NON_ASCII.test(input);
  const text = input.split(/\r\n|\r|\n/).map((line) => stripControls(line, ascii)).join('\n');
  const lines = stripStyle(text, ascii).split('\n').map((line) => line.trimEnd());
  let first = 0;
  let last = lines.length;
  while (first < last && lines[first] === '') first++;
  while (last > first && lines[last - 1] === '') last--;
  return lines.slice(first, last).join('\n');
}

/** Length in code points (what TEXT_TOO_LONG counts); an emoji is one, a flag is two. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const h = s.charCodeAt(i - 1);
      if (h >= 0xd800 && h <= 0xdbff) n--;
    }
  }
  return n;
}

/**
 * The ingress check for a message, topic, reason or announcement: the sanitized text, or EMPTY_TEXT when
 * nothing is left, or TEXT_TOO_LONG when more than maxText code points are (refused, never cut).
 */
/**
 * An optional free-text reason (a kick's, a ban's, a revocation's): sanitized like any client text,
 * at most 300 characters (TEXT_TOO_LONG beyond), empty allowed. Moderators' reasons and an operator's
 * (chat-admin) alike: either reaches users' terminals in byes, errors and tables.
 */
export function sanitizeReason(text: string, max: number = MAX_TEXT): string {
  const clean = sanitizeText(text);
  if (!clean) return '';
  return checkText(clean, Math.min(max, 300));
}

export function checkText(input: string, maxText: number = MAX_TEXT): string {
  const text = sanitizeText(input);
  if (text === '') throw new ChatdError('EMPTY_TEXT');
  if (text.length > maxText) {
    const n = codePointLength(text);
    if (n > maxText) throw new ChatdError('TEXT_TOO_LONG', `text is ${n} characters; the limit is ${maxText}`);
  }
  return text;
}

export const USERNAME_RE = /^[a-z0-9][a-z0-9_.-]{1,31}$/;
export const ROOM_RE = /^#?[a-z0-9][a-z0-9_-]{0,31}$/;

// ASCII-only lowercasing: String#toLowerCase maps U+212A KELVIN SIGN to "k", which would let
// "\u212Aarl" pass as "karl".
const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/** The canonical (lowercase) user name, or null if it is not a valid one. */
export function normalizeUsername(s: unknown): string | null {
  if (typeof s !== 'string') return null;
  const name = asciiLower(s);
  return USERNAME_RE.test(name) ? name : null;
}

/** The canonical room name, lowercase and without its one optional leading '#', or null. */
export function normalizeRoom(s: unknown): string | null {
  if (typeof s !== 'string') return null;
  const room = asciiLower(s);
  if (!ROOM_RE.test(room)) return null;
  return room.startsWith('#') ? room.slice(1) : room;
}
