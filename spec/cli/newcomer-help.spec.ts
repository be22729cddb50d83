// Issue 19 item 8: --help that reads well on an 80-column terminal (no example split across lines
// where a width happened to fall), chat-cli with examples, and one clear line for a missing argument.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { binPath, cleanEnv, runBin } from '../helpers/bin.js';

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** What `<bin> --help` shows on a terminal `cols` wide. */
function helpOnTerminal(bin: string, cols: number): Promise<string> {
  const cmd = `stty cols ${cols} rows 60 2>/dev/null; exec ${sh(process.execPath)} ${sh(binPath(bin))} --help`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: cleanEnv({ TERM: 'xterm' }), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${bin} --help hung: ${out}`)); }, 15000);
    child.on('close', () => { clearTimeout(t); resolve(out.replace(/\r/g, '')); });
    child.stdin.end();
  });
}

describe('cli: --help on an 80-column terminal', function () {
  this.timeout(60000);
  for (const bin of ['chatd', 'chat-cli', 'chat-admin', 'chat-certs', 'chat-migrate']) {
    it(`${bin}: every line fits, and every example command is whole on its own line(s)`, async () => {
      const help = await helpOnTerminal(bin, 80);
      const lines = help.split('\n');
      for (const l of lines) expect(l.length, `too wide: "${l}"`).to.be.at.most(80);
      const at = lines.findIndex((l) => /^Examples:/.test(l));
      expect(at, `${bin} --help has examples`).to.be.greaterThan(-1);
      const ex = lines.slice(at + 1).filter((l) => l.trim() !== '');
      expect(ex.length).to.be.greaterThan(1);
      let continued = false;
      let commands = 0;
      for (const l of ex) {
        if (continued) expect(l, 'a continued command').to.match(/^ {6}\S/);
        else if (/^ {4}\S/.test(l)) { expect(l, 'a command line').to.match(new RegExp(`^ {4}(\\S+=\\S+ )*${bin} |^ {4}\\S.*\\| ${bin} `)); commands++; }
        else expect(l, 'a description line').to.match(/^ {2}\S.*:$/);
        continued = / \\$/.test(l);
      }
      expect(commands, 'commands shown').to.be.greaterThan(1);
    });
  }
});

describe('cli: a missing argument is one clear line', function () {
  this.timeout(30000);
  it('chat-admin ban add with no name names what is missing and the usage, exit 2', async () => {
    const r = await runBin('chat-admin', ['ban', 'add']);
    expect(r.code).to.equal(2);
    expect(r.err.trim().split('\n')).to.have.length(1);
    expect(r.err.trim()).to.equal('chat-admin: missing <name>; usage: chat-admin ban add <name> (see chat-admin ban add --help)');
  });
  it('chat-admin user role with no role says the same way', async () => {
    const r = await runBin('chat-admin', ['user', 'role', 'bob']);
    expect(r.code).to.equal(2);
    expect(r.err.trim()).to.match(/^chat-admin: missing <role>; usage: chat-admin user role <name> <role>/);
  });
});
