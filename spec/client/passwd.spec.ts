// The piece of chat-cli that recognises //passwd as chatd parses it: which frames change the
// password of the next login, which typed lines are passwd lines, and how they are shown.
import { expect } from 'chai';
import { maskPasswd, newPasswordOf, typedPasswd } from '../../lib/client/passwd.js';

describe('client/passwd', () => {
  it('newPasswordOf(): the second argument of a passwd command with two, in a say or a command frame', () => {
    expect(newPasswordOf({ type: 'say', text: '//passwd old-one New-secret-99' }, '//')).to.equal('New-secret-99');
    expect(newPasswordOf({ type: 'say', text: '//  PassWD \told-one   New-secret-99  ' }, '//')).to.equal('New-secret-99');
    expect(newPasswordOf({ type: 'command', line: 'passwd a b' }, '//')).to.equal('b');
    expect(newPasswordOf({ type: 'say', text: '!passwd a b' }, '!')).to.equal('b');
    for (const text of ['//passwd a', '//passwd a b c', '//passwd', '//passwdx a b', 'passwd a b', '!passwd a b', '//me passwd a b']) {
      expect(newPasswordOf({ type: 'say', text }, '//'), text).to.equal(null);
    }
    expect(newPasswordOf({ type: 'command', line: 'msg bob passwd a b' }, '//')).to.equal(null);
  });

  it('typedPasswd(): the arguments of a typed passwd line, with or without any, in any case; null for other lines', () => {
    expect(typedPasswd('//passwd', '//')).to.deep.equal([]);
    expect(typedPasswd(' // passwd ', ' //')).to.deep.equal([]);
    expect(typedPasswd('// passwd  ', '//')).to.deep.equal([]);
    expect(typedPasswd('//PASSWD a b', '//')).to.deep.equal(['a', 'b']);
    for (const l of ['//passwdx', '//pass', 'passwd a b', 'x //passwd a b', '//msg bob //passwd']) expect(typedPasswd(l, '//'), l).to.equal(null);
  });

  it('a line chatd runs as a command because its sanitized text starts with the prefix after blanks is a passwd line too', () => {
    // chatd (lib/frame-input.ts) runs " //passwd a b" as the command, so that a blank lead never broadcasts a password.
    expect(typedPasswd(' //passwd a b', '//')).to.deep.equal(['a', 'b']);
    expect(typedPasswd('\t\u200b//passwd', '//')).to.deep.equal([]);
    expect(newPasswordOf({ type: 'say', text: '  //passwd old-one New-secret-99' }, '//')).to.equal('New-secret-99');
    expect(maskPasswd(' //passwd old-one New-secret-99', '//')).to.equal(' //passwd ******* *************');
    expect(maskPasswd('\u200b//passwd ab', '//')).to.equal('\u200b//passwd **');
    expect(maskPasswd('x //passwd ab', '//')).to.equal('x //passwd ab'); // a message, for chatd too
  });

  it('maskPasswd(): every argument character becomes *, the length and spacing kept; other lines unchanged', () => {
    expect(maskPasswd('//passwd old-one New-secret-99', '//')).to.equal('//passwd ******* *************');
    expect(maskPasswd('//Passwd  a\tb ', '//')).to.equal('//Passwd  *\t* ');
    expect(maskPasswd('//passwd', '//')).to.equal('//passwd');
    expect(maskPasswd('//passwdx abc', '//')).to.equal('//passwdx abc');
    expect(maskPasswd('hello passwd abc', '//')).to.equal('hello passwd abc');
    expect(maskPasswd('!passwd abc', '!')).to.equal('!passwd ***');
    expect(maskPasswd('+*passwd abc', '+*')).to.equal('+*passwd ***');
  });
});
