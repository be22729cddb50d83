// What a node takes from the bus: a mute "until 1e300" was a finite number and passed, and every
// message of the muted user then failed INTERNAL where its end was written as a date.
import { expect } from 'chai';
import { checkBusMessage } from '../lib/bus/inbound.js';

describe('bus input: times are times a Date can hold', () => {
  it('a mute until, or an away since, beyond a Date or not a whole ms is refused', () => {
    for (const m of [{ t: 'mute', user: 'erin', until: 1e300 }, { t: 'mute', user: 'erin', until: 1.5 }, { t: 'away', user: 'erin', message: 'x', since: 1e300 }]) {
      expect(checkBusMessage(JSON.stringify(m), 2000), JSON.stringify(m)).to.have.property('bad');
    }
    expect(checkBusMessage(JSON.stringify({ t: 'mute', user: 'erin', until: Date.now() + 60_000 }), 2000)).to.have.property('msg');
    expect(checkBusMessage(JSON.stringify({ t: 'mute', user: 'erin', until: null }), 2000)).to.have.property('msg');
  });
});
