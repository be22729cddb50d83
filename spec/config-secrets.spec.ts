// A config file holds secrets (the password in a database or Redis URL): an error about the file
// reaches the log (SIGHUP reload) or a terminal, so it names where the file is wrong, never its text.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfigFile } from '../lib/config.js';
import { tmpdir } from './helpers/world.js';

describe('config file errors', () => {
  it('a JSON syntax error does not quote the file (V8 puts a snippet of the text into its message)', () => {
    const dir = tmpdir('config-secrets');
    try {
      const file = path.join(dir, 'chatd.json');
      fs.writeFileSync(file, '{"db": mysql://u:hunter2@h}');
      let message = '';
      try { loadConfigFile(file); } catch (e) { message = (e as Error).message; }
      expect(message).to.contain('is not valid JSON');
      expect(message).not.to.contain('mysql');
      expect(message).not.to.contain('u:');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
