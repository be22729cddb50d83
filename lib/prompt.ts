// A hidden password prompt for terminals (chat-admin, chat-cli): nothing typed is echoed.

export function isInteractive(): boolean {
  return !!(process.stdin.isTTY && process.stderr.isTTY);
}

export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    let value = '';
    const wasRaw = input.isRaw;
    // Echo off before the question appears, or fast typing right after it would be echoed.
    input.setRawMode?.(true);
    process.stderr.write(question);
    input.resume();
    input.setEncoding('utf8');
    const done = (err?: Error) => {
      input.setRawMode?.(wasRaw);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err); else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** Asks twice on a terminal and insists on a match. */
export async function promptNewPassword(): Promise<string> {
  const a = await promptHidden('New password: ');
  const b = await promptHidden('Repeat password: ');
  if (a !== b) throw new Error('passwords do not match');
  return a;
}


/** Asks one visible question on a terminal (a confirmation) and resolves with the line typed. */
export async function promptLine(question: string): Promise<string> {
  const readline = await import('node:readline/promises');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try { return await rl.question(question); } finally { rl.close(); }
}
