import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GatehouseError } from '../../core/errors.ts';
import type { User } from '../../core/model/user.ts';
import { createUser, findUser, setPassword, setUserDisabled, type UserServiceDeps } from '../../core/users/user-service.ts';
import { userView } from '../../core/users/user-view.ts';
import { openCliContext, parseCli, type CliContext } from '../context.ts';
import type { CliCommand, CliIo } from '../types.ts';

const OPTIONS = {
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  email: { type: 'string' },
  role: { type: 'string' },
  claims: { type: 'string' },
} as const;

const USAGE = [
  'Usage: gatehouse users create --username USERNAME --password-stdin [--email EMAIL] [--role admin|user]',
  '                              [--claims FILE] [--json]',
  '       gatehouse users list [--json]',
  '       gatehouse users show|disable|enable USER [--json]',
  '       gatehouse users set-password USER --password-stdin [--json]',
  '',
  'create        adds an end user. The password is read from standard input (one trailing newline',
  '              is removed), never from the command line: `printf %s "$PW" | gatehouse users create …`.',
  '              Username: 1-64 letters, digits and . _ @ - (stored lower-cased). Password: 8-128',
  '              characters (NIST SP 800-63B), stored only as an argon2id hash. Role: user (default)',
  '              or admin. --claims FILE: a JSON object of OpenID Connect standard claims (name,',
  '              given_name, email, email_verified, address, phone_number, …); --email sets `email`.',
  'list          lists every user.',
  'show          prints one user (USER is the id or the username); never the password hash.',
  'disable       the user can no longer sign in (sign-in fails exactly as for a wrong password).',
  'enable        re-allows sign-in.',
  'set-password  replaces the password (from standard input); the old one stops working at once.',
  '',
  'See docs/users.md.',
].join('\n');

/** The password from standard input, without the newline `echo` or a here-string adds. */
async function passwordFromStdin(io: CliIo): Promise<string> {
  const text = (await io.readStdin()).replace(/\r?\n$/, '');
  if (text === '') throw new GatehouseError('GH_CLI_USAGE', '--password-stdin: standard input is empty');
  return text;
}

async function claimsFrom(values: { claims?: string; email?: string }): Promise<Record<string, unknown>> {
  let claims: Record<string, unknown> = {};
  if (values.claims !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(values.claims, 'utf8'));
    } catch (e) {
      throw new GatehouseError('GH_CLI_USAGE', `--claims ${values.claims}: cannot read a JSON object (${(e as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new GatehouseError('GH_USER_INVALID', `--claims ${values.claims}: must hold a JSON object of standard claims`);
    }
    claims = parsed as Record<string, unknown>;
  }
  if (values.email !== undefined) {
    if (claims['email'] !== undefined && claims['email'] !== values.email) throw new GatehouseError('GH_CLI_USAGE', '--email and the email in --claims differ');
    claims = { ...claims, email: values.email };
  }
  return claims;
}

function print(io: CliIo, json: boolean, user: User): void {
  const view = userView(user);
  if (json) return io.out(JSON.stringify(view));
  io.out(Object.entries(view).map(([k, v]) => `${k.padEnd(11)} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n'));
}

async function allUsers(ctx: CliContext): Promise<User[]> {
  const out: User[] = [];
  for (let after: string | undefined; ;) {
    const page = await ctx.storage.users.list(ctx.tenantId, { limit: 100, ...(after === undefined ? {} : { after }) });
    out.push(...page);
    if (page.length < 100) return out;
    after = page[page.length - 1]!.username;
  }
}

function table(users: readonly User[]): string {
  const head = ['ID', 'USERNAME', 'ROLES', 'EMAIL', 'STATUS'];
  const rows = users.map((u) => [u.id, u.username, u.roles.join(','), u.claims.email ?? '-', u.disabled ? 'disabled' : 'enabled']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Which options each action accepts (besides --config/--json). */
const ALLOWED: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  create: ['username', 'password-stdin', 'email', 'role', 'claims'],
  'set-password': ['password-stdin'],
};

export const usersCommand: CliCommand = {
  name: 'users',
  summary: 'Create, list, show, disable, enable end users and set their passwords',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCli(args, OPTIONS);
    const [action, id, ...extra] = positionals;
    const needsId = ['show', 'disable', 'enable', 'set-password'];
    if (action === 'create' || action === 'list') {
      if (id !== undefined) throw new GatehouseError('GH_CLI_USAGE', `users ${action} takes no positional argument`);
    } else if (!action || !needsId.includes(action) || !id || extra.length) {
      throw new GatehouseError('GH_CLI_USAGE', 'expected `users create|list` or `users show|disable|enable|set-password USER` (see gatehouse users --help)');
    }
    const stray = (Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]).find((o) => o in values && !(ALLOWED[action] ?? []).includes(o));
    if (stray) throw new GatehouseError('GH_CLI_USAGE', `--${stray} does not apply to \`users ${action}\``);
    if ((action === 'create' || action === 'set-password') && values['password-stdin'] !== true) {
      throw new GatehouseError('GH_CLI_USAGE', `users ${action} needs --password-stdin (a password is never taken on the command line)`);
    }
    if (action === 'create' && !values.username) throw new GatehouseError('GH_CLI_USAGE', 'users create needs --username');
    // Read everything the operator gave before opening the store, so bad input writes nothing.
    const claims = action === 'create' ? await claimsFrom(values) : {};
    const password = action === 'create' || action === 'set-password' ? await passwordFromStdin(io) : '';
    const ctx = await openCliContext(values.config, io);
    try {
      const deps: UserServiceDeps = { users: ctx.storage.users, passwordHasher: ctx.passwordHasher, clock: ctx.clock, random: { bytes: (n) => randomBytes(n) }, events: ctx.events };
      const json = values.json === true;
      switch (action) {
        case 'create':
          print(io, json, await createUser(deps, ctx.tenantId, { username: values.username!, password, roles: [values.role ?? 'user'], claims, via: 'cli' }));
          break;
        case 'list': {
          const users = await allUsers(ctx);
          if (json) io.out(JSON.stringify({ users: users.map(userView) }));
          else io.out(users.length ? table(users) : 'no users yet (gatehouse users create --help)');
          break;
        }
        case 'show': {
          const user = await findUser(deps, ctx.tenantId, id!);
          if (!user) throw new GatehouseError('GH_USER_NOT_FOUND', `no user ${JSON.stringify(id!.slice(0, 64))}`);
          print(io, json, user);
          break;
        }
        case 'set-password':
          print(io, json, await setPassword(deps, ctx.tenantId, id!, password, 'cli'));
          break;
        default:
          print(io, json, await setUserDisabled(deps, ctx.tenantId, id!, action === 'disable', 'cli'));
      }
      return 0;
    } finally {
      await ctx.close();
    }
  },
};
