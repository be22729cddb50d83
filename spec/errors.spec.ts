// lib/errors.ts against the contract: the error and bye codes in the table are exactly DESIGN.md's
// (fastify checks its error catalogue against its docs the same way). DESIGN.md lives beside the
// project, in ../shared/.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { BYE_CODES, ChatdError, ERROR_CODES } from '../lib/errors.js';
import { ROOT } from './helpers/world.js';

const DESIGN = path.resolve(ROOT, '..', 'shared', 'DESIGN.md');

/** The codes DESIGN.md lists: core error codes, those of later sections, and bye codes. */
function documented(): { core: string[]; later: string[]; bye: string[] } {
  const text = fs.readFileSync(DESIGN, 'utf8').replace(/\s+/g, ' ');
  const list = /- error codes: (.*?)\. bye codes: (.*?)\./.exec(text);
  if (!list) throw new Error(`no "error codes: … bye codes: …" list in ${DESIGN}`);
  const [core, later = ''] = list[1].split(/,? and for the later sections /);
  const codes = (s: string) => s.split(',').map((c) => c.trim()).filter(Boolean);
  return { core: codes(core), later: codes(later), bye: codes(list[2]) };
}

describe('errors: the table against DESIGN.md', function () {
  before(function () {
    if (!fs.existsSync(DESIGN)) this.skip(); // the contract is not checked out beside this tree
  });

  it('reads a plausible list from DESIGN.md', () => {
    const d = documented();
    for (const c of [...d.core, ...d.later, ...d.bye]) expect(c).to.match(/^[A-Z][A-Z_]*[A-Z]$/);
    expect(d.core).to.include.members(['BAD_FRAME', 'INTERNAL']);
    expect(d.bye).to.include('SENDQ_EXCEEDED');
  });

  it('has every documented error code, and none the contract does not name', () => {
    const d = documented();
    const table = Object.keys(ERROR_CODES);
    expect(table, 'documented but missing from ERROR_CODES').to.include.members(d.core);
    // Codes of later sections (enrollment, conversations) join the table with their features.
    expect(table.filter((c) => !d.core.includes(c) && !d.later.includes(c)), 'in ERROR_CODES but not in DESIGN.md').to.deep.equal([]);
  });

  it('has exactly the documented bye codes', () => {
    expect(Object.keys(BYE_CODES).sort()).to.deep.equal(documented().bye.sort());
  });
});

describe('errors: ChatdError', () => {
  it('carries its code and the table message unless given one', () => {
    for (const [code, message] of Object.entries(ERROR_CODES)) {
      expect(message, code).to.be.a('string').and.not.equal('');
      const e = new ChatdError(code as keyof typeof ERROR_CODES);
      expect(e).to.be.instanceOf(Error);
      expect(e).to.include({ code, message, name: 'ChatdError' });
    }
    expect(new ChatdError('BAD_ARGS', 'usage: ban <user>').message).to.equal('usage: ban <user>');
  });

  it('gives every bye code a reason', () => {
    for (const [code, reason] of Object.entries(BYE_CODES)) expect(reason, code).to.be.a('string').and.not.equal('');
  });
});
