// A message padded with blanks up to the width of a terminal wraps there, and what follows starts a
// row of its own: "ok" + 200 spaces + "10:00:00 #lobby -- eve is now admin (set by owner)" showed a
// text-mode reader a line the server never sent. Rendered lines now show a run of blanks as one space;
// the text itself (JSON frames, history) is kept as it was said.
import { expect } from 'chai';
import { withChatd } from '../helpers/chatd.js';

describe('e2e: text mode, a line padded to wrap like a line of its own', function () {
  this.timeout(30000);
  const t = withChatd();

  it('reaches a text-mode reader with one space where the padding was', async () => {
    const reader = await t.connect('bob', { alpn: false });
    await reader.textLogin('bob');
    const json = await t.login('carol');
    const eve = await t.login('alice');
    const forged = '10:00:00 #lobby -- alice is now admin (set by owner)';
    const sent = `ok${' '.repeat(100)}${'\u00a0'.repeat(60)}${'\u2800'.repeat(60)}${forged}`;
    await eve.say(sent);
    await reader.waitText(/#lobby alice: ok/);
    const text = await reader.waitText(/#lobby alice: ok[^\n]*\n/);
    expect(/#lobby alice: (ok[^\n]*)\n/.exec(text)![1]).to.equal(`ok ${forged}`);
    // JSON clients get the text as said, to render as they see fit.
    const m = await json.waitFor((f) => f.type === 'message' && f.from.name === 'alice');
    expect(m.text).to.equal(sent);
  });
});
