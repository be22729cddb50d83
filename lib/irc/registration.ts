// Registration of an IRC connection: CAP negotiation, SASL (PLAIN, and EXTERNAL where the certificate
// binds the name), PASS/NICK/USER, and the login they end in. Its own module because this is the one
// part of an IRC session that runs before there is a user, and everything here guards the way in.
import { ChatdError } from '../errors.js';
import { normalizeUsername } from '../sanitize.js';
import { ircLine } from './message.js';
import { IrcOutput } from './output.js';
import { IRC_HOST } from './render.js';

/** What CAP LS offers; `sasl` gets its mechanisms with CAP LS 302. */
const CAPS = ['sasl', 'server-time', 'message-tags', 'echo-message', 'multi-prefix', 'away-notify'];
/** A SASL payload arrives in chunks of 400 base64 characters; a shorter one (or "+") ends it. */
const SASL_CHUNK = 400;
/** No credentials of chatd come near this; more is someone filling memory 400 bytes at a time. */
const SASL_MAX = 4096;

export abstract class IrcRegistration extends IrcOutput {
  protected userSeen = false;
  protected password: string | null = null;
  private capNegotiating = false;
  private sasl: string | null = null;
  private saslMech: 'PLAIN' | 'EXTERNAL' = 'PLAIN';
  /** Why SASL failed: the registration that follows without a password ends with that code. */
  private saslError: ChatdError | null = null;
  protected registered = false;

  protected async cap(p: string[]): Promise<void> {
    const sub = (p[0] ?? '').toUpperCase();
    switch (sub) {
      case 'LS': {
        if (!this.registered) this.capNegotiating = true;
        const v302 = Number(p[1]) >= 302;
        const list = CAPS.map((c) => (c === 'sasl' && v302 ? `sasl=${this.mechanisms().join(',')}` : c)).join(' ');
        return this.out(ircLine(this.server, 'CAP', [this.me, 'LS', list]));
      }
      case 'LIST':
        return this.out(ircLine(this.server, 'CAP', [this.me, 'LIST', [...this.caps].join(' ')]));
      case 'REQ': {
        if (!this.registered) this.capNegotiating = true;
        const want = (p[1] ?? '').split(' ').filter(Boolean);
        const ok = want.length > 0 && want.every((c) => CAPS.includes(c.replace(/^-/, '')));
        if (ok) for (const c of want) if (c.startsWith('-')) this.caps.delete(c.slice(1)); else this.caps.add(c);
        return this.out(ircLine(this.server, 'CAP', [this.me, ok ? 'ACK' : 'NAK', p[1] ?? '']));
      }
      case 'END':
        if (this.registered) return;
        this.capNegotiating = false;
        return this.register();
      default:
        return this.num('410', sub || '*', 'Invalid CAP command');
    }
  }

  protected async authenticate(arg: string): Promise<void> {
    if (this.registered || this.user) return this.num('907', 'You have already authenticated using SASL');
    if (!this.caps.has('sasl')) return this.num('904', 'SASL authentication failed (request the sasl capability first)');
    if (this.sasl === null) {
      const mech = arg.toUpperCase();
      if (mech !== 'PLAIN' && !(mech === 'EXTERNAL' && this.mechanisms().includes(mech))) {
        this.num('908', this.mechanisms().join(','), 'are available SASL mechanisms');
        return this.num('904', 'SASL authentication failed');
      }
      this.saslMech = mech;
      this.sasl = '';
      return this.out('AUTHENTICATE +\r\n');
    }
    if (arg === '*') {
      this.sasl = null;
      return this.num('906', 'SASL authentication aborted');
    }
    if (arg !== '+') this.sasl += arg;
    if (this.sasl.length > SASL_MAX) {
      this.sasl = null;
      return this.num('905', 'SASL message too long');
    }
    if (arg.length === SASL_CHUNK) return; // more to come
    if (this.saslMech === 'EXTERNAL') return this.external(Buffer.from(this.sasl, 'base64').toString('utf8'));
    const [authz, authc, pass] = Buffer.from(this.sasl, 'base64').toString('utf8').split('\0');
    this.sasl = null;
    if (pass === undefined || !authc || (authz && authz !== authc)) return this.num('904', 'SASL authentication failed (malformed PLAIN message)');
    const err = await this.tryLogin(authc, pass);
    if (err) {
      this.saslError = err;
      return this.num('904', `SASL authentication failed: ${err.code}: ${err.message}`);
    }
    this.num('900', `${this.me}!${this.me}@${IRC_HOST}`, this.user!.name, `You are now logged in as ${this.user!.name}`);
    this.num('903', 'SASL authentication successful');
  }

  /** PLAIN always; EXTERNAL where the certificate proves the name (--cert-binding cn) and the config allows it. */
  private mechanisms(): string[] {
    const c = this.node.config;
    return c.ircCertLogin && c.certBinding === 'cn' ? ['PLAIN', 'EXTERNAL'] : ['PLAIN'];
  }

  /** SASL EXTERNAL: the certificate's name is the account; an authorization identity must name it too. */
  private async external(authz: string): Promise<void> {
    this.sasl = null;
    try {
      if (authz && normalizeUsername(authz) !== this.certUser) throw new ChatdError('CERT_MISMATCH', `this certificate is for "${this.certUser ?? '?'}", not "${authz.slice(0, 40)}"`);
      this.user = await this.node.loginByCertificate(this);
      this.host.metrics.logins.inc({ result: 'ok' });
    } catch (e) {
      if (!(e instanceof ChatdError)) throw e;
      this.host.metrics.logins.inc({ result: e.code });
      this.saslError = e;
      return this.num('904', `SASL authentication failed: ${e.code}: ${e.message}`);
    }
    this.num('900', `${this.me}!${this.me}@${IRC_HOST}`, this.user.name, `You are now logged in as ${this.user.name}`);
    this.num('903', 'SASL authentication successful');
  }

  /** node.login, like every other login: throttle, lockout, certificate binding, session slots. */
  private async tryLogin(name: string, password: string): Promise<ChatdError | null> {
    try {
      this.user = await this.host.login(this, name, { password });
      this.host.metrics.logins.inc({ result: 'ok' });
      return null;
    } catch (e) {
      if (!(e instanceof ChatdError)) throw e;
      this.host.metrics.logins.inc({ result: e.code });
      return e;
    }
  }

  protected async nickCommand(want: string | undefined): Promise<void> {
    if (!want) return this.num('431', 'No nickname given');
    if (!this.registered) {
      this.nick = want;
      return this.register();
    }
    if (normalizeUsername(want) === this.user!.name) return;
    this.num('432', want, `Your nick is your account name, ${this.user!.name}`);
  }

  /**
   * Logged in by SASL is not yet in the chat: a client that authenticates and never sends NICK, USER
   * or CAP END would hold its connection (and the account's session slot) for good.
   */
  protected override loggingIn(): boolean {
    return !this.registered;
  }

  /**
   * Registration ends once NICK and USER are in and CAP negotiation (if any) is over: logged in by SASL
   * already, or now with PASS. The account is the certificate's name where the certificate binds it,
   * else the nick; the 001 names the account, which is how a client learns its nick.
   */
  protected async register(): Promise<void> {
    if (this.registered || this.capNegotiating || !this.nick || !this.userSeen || this.closing) return;
    if (!this.user) {
      const password = this.password;
      this.password = null;
      if (password === null) {
        const why = this.saslError;
        this.num('464', why ? `${why.code}: ${why.message}` : 'Password required: use SASL PLAIN or PASS');
        return this.close(why?.code ?? 'AUTH_FAILED', why?.message ?? 'no password given');
      }
      const account = this.node.config.certBinding === 'cn' && this.certUser ? this.certUser : this.nick.toLowerCase();
      const err = await this.tryLogin(account, password);
      if (err) {
        this.num('464', `${err.code}: ${err.message}`);
        return this.close(err.code, err.message);
      }
    }
    if (this.closing) return;
    this.registered = true;
    this.loggedIn();
    await this.host.attach(this);
  }
}
