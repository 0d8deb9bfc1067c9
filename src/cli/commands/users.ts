import { readFile } from 'node:fs/promises';
import type { UserView } from '../../app/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { attributeFromText } from '../../core/users/user-attributes.ts';
import { openCliContext, parseCli } from '../context.ts';
import { LIST_OPTIONS, LIST_USAGE, listInput, printList, printRecord, requireYes } from '../output.ts';
import type { CliCommand, CliIo } from '../types.ts';

const OPTIONS = {
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  email: { type: 'string' },
  role: { type: 'string' },
  roles: { type: 'string' },
  claims: { type: 'string' },
  claim: { type: 'string', multiple: true },
  attr: { type: 'string', multiple: true },
  'unset-attr': { type: 'string', multiple: true },
  groups: { type: 'string' },
  yes: { type: 'boolean' },
  ...LIST_OPTIONS,
} as const;

const USAGE = [
  'Usage: gatehouse users create --username USERNAME --password-stdin [--email EMAIL] [--role ROLE | --roles a,b]',
  '                              [--groups a,b] [--claims FILE|JSON] [--attr NAME=VALUE]... [--json]',
  `       gatehouse users list ${LIST_USAGE}`,
  '       gatehouse users show|disable|enable USER [--json]',
  '       gatehouse users update USER [--claims FILE|JSON] [--claim NAME=VALUE]... [--email EMAIL] [--roles a,b]',
  '                              [--groups a,b] [--attr NAME=VALUE]... [--unset-attr NAME]... [--json]',
  '       gatehouse users set-password USER --password-stdin [--json]',
  '       gatehouse users delete USER --yes [--json]',
  '       gatehouse users unlock USER [--json]',
  '       gatehouse users end-sessions USER [--json]',
  '',
  'create        adds an end user. The password is read from standard input (one trailing newline',
  '              is removed), never from the command line: `printf %s "$PW" | gatehouse users create …`.',
  '              Username: 1-64 letters, digits and . _ @ - (stored lower-cased). Password: 8-128',
  '              characters (NIST SP 800-63B), stored only as an argon2id hash. Roles: user (default);',
  '              --role or --roles (comma-separated) give others (letters, digits and . _ : -); --groups',
  '              (comma-separated) sets the groups. --claims: a JSON object of OpenID Connect standard',
  '              claims (name, given_name, email, email_verified, address, phone_number, …), given inline',
  '              (starting with {) or as a FILE holding it; --email sets `email`. --attr NAME=VALUE sets',
  '              a custom attribute defined in users.attributes (config), read as its type.',
  'list          one page of users (default 50, at most 500; --sort username|created_at; --q is a',
  '              username prefix).',
  'show          prints one user (USER is the id or the username); never the password hash.',
  "update        merges claims into the user's (--claims JSON/FILE, --claim name=value: true, false and",
  '              null are JSON, anything else a string; null removes the claim) and/or replaces the',
  '              roles (--roles user,admin) and/or groups (--groups a,b; an empty value clears them)',
  '              and/or sets (--attr name=value) or removes (--unset-attr name) custom attributes.',
  '              One write, validated as a whole. Roles, groups and attributes reach clients through',
  '              scopes (roles, groups, claims.scopes) and claim_mappings: see docs/users.md.',
  'disable       the user can no longer sign in (sign-in fails exactly as for a wrong password) and',
  '              its tokens are inactive; with users.revokeOnDisable (default true) its sessions end',
  '              (back-channel logout) and its grants and tokens are revoked.',
  'enable        re-allows sign-in; what disable revoked stays revoked.',
  'set-password  replaces the password (from standard input); the old one stops working at once;',
  '              with users.revokeOnPasswordChange (default true) its sessions end and its grants',
  '              and tokens are revoked.',
  "unlock        clears the user's sign-in counters: every (username, address) and device limit and",
  "              the username-wide delay (docs/security.md). The counters live where the server's",
  '              limiter keeps them: in memory (today) each server process holds its own, which this',
  '              command cannot reach (they end with their window or a restart); with the shared',
  '              backend (Redis, with the operations work) it clears them for every instance.',
  'end-sessions  signs the user out everywhere, at once: every admin console session (a new session',
  '              generation) and every sign-in session (relying parties get back-channel logout).',
  '              The same as `gatehouse sessions end --user USER` (use case sessions.end_all).',
  "delete        ends the user's sessions (relying parties get back-channel logout), revokes every",
  '              grant and token, deletes consents, then the user. Needs --yes.',
  '',
  'See docs/users.md and docs/operations.md.',
].join('\n');

/** The password from standard input, without the newline `echo` or a here-string adds. */
async function passwordFromStdin(io: CliIo): Promise<string> {
  const text = (await io.readStdin()).replace(/\r?\n$/, '');
  if (text === '') throw new GatehouseError('GH_CLI_USAGE', '--password-stdin: standard input is empty');
  return text;
}

/** --claims: inline JSON (starts with `{`) or a file holding it. */
async function claimsObject(value: string): Promise<Record<string, unknown>> {
  const inline = value.trimStart().startsWith('{');
  let parsed: unknown;
  try {
    parsed = JSON.parse(inline ? value : await readFile(value, 'utf8'));
  } catch (e) {
    throw new GatehouseError('GH_CLI_USAGE', `--claims ${inline ? '' : `${value}: `}cannot read a JSON object (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatehouseError('GH_INVALID_INPUT', `--claims ${inline ? '' : `${value}: `}must hold a JSON object of standard claims`);
  }
  return parsed as Record<string, unknown>;
}

/** --claim name=value: `true`, `false` and `null` are JSON (null removes the claim), anything else a string. */
function claimPair(pair: string): [string, unknown] {
  const eq = pair.indexOf('=');
  if (eq < 1) throw new GatehouseError('GH_CLI_USAGE', `--claim ${pair.slice(0, 64)}: expected NAME=VALUE`);
  const raw = pair.slice(eq + 1);
  return [pair.slice(0, eq), raw === 'true' ? true : raw === 'false' ? false : raw === 'null' ? null : raw];
}

async function claimsFrom(values: { claims?: string; claim?: string[]; email?: string }): Promise<Record<string, unknown> | undefined> {
  if (values.claims === undefined && values.claim === undefined && values.email === undefined) return undefined;
  let claims: Record<string, unknown> = values.claims === undefined ? {} : await claimsObject(values.claims);
  for (const [k, v] of (values.claim ?? []).map(claimPair)) {
    if (k in claims && claims[k] !== v) throw new GatehouseError('GH_CLI_USAGE', `--claim ${k} and --claims differ`);
    claims = { ...claims, [k]: v };
  }
  if (values.email !== undefined) {
    if (claims['email'] !== undefined && claims['email'] !== values.email) throw new GatehouseError('GH_CLI_USAGE', '--email and the email in --claims differ');
    claims = { ...claims, email: values.email };
  }
  return claims;
}

/** A comma-separated list; an empty value is the empty list. */
const list = (value: string) =>
  value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

/** --attr NAME=VALUE (the value is typed later, by the attribute's definition). */
function attrPair(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq < 1) throw new GatehouseError('GH_CLI_USAGE', `--attr ${pair.slice(0, 64)}: expected NAME=VALUE`);
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

const print = (io: CliIo, json: boolean, user: UserView) => printRecord(io, json, user);

/** Which options each action accepts (besides --config/--json). */
const ALLOWED: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  create: ['username', 'password-stdin', 'email', 'role', 'roles', 'groups', 'claims', 'attr'],
  update: ['claims', 'claim', 'email', 'roles', 'groups', 'attr', 'unset-attr'],
  'set-password': ['password-stdin'],
  list: Object.keys(LIST_OPTIONS) as (keyof typeof LIST_OPTIONS)[],
  delete: ['yes'],
};
const WITH_USER = ['show', 'update', 'disable', 'enable', 'set-password', 'delete', 'unlock', 'end-sessions'];

export const usersCommand: CliCommand = {
  name: 'users',
  summary: 'Create, update, list, show, disable, enable, delete, unlock end users, set their passwords and end their sessions',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCli(args, OPTIONS);
    const [action, user, ...extra] = positionals;
    if (action === 'create' || action === 'list') {
      if (user !== undefined) throw new GatehouseError('GH_CLI_USAGE', `users ${action} takes no positional argument`);
    } else if (!action || !WITH_USER.includes(action) || !user || extra.length) {
      throw new GatehouseError(
        'GH_CLI_USAGE',
        'expected `users create|list` or `users show|update|disable|enable|set-password|delete|unlock|end-sessions USER` (see gatehouse users --help)',
      );
    }
    const stray = (Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]).find((o) => o in values && !(ALLOWED[action] ?? []).includes(o));
    if (stray) throw new GatehouseError('GH_CLI_USAGE', `--${stray} does not apply to \`users ${action}\``);
    if ((action === 'create' || action === 'set-password') && values['password-stdin'] !== true) {
      throw new GatehouseError('GH_CLI_USAGE', `users ${action} needs --password-stdin (a password is never taken on the command line)`);
    }
    if (action === 'create' && !values.username) throw new GatehouseError('GH_CLI_USAGE', 'users create needs --username');
    if (action === 'delete') requireYes(values.yes, `users delete ${user}`);
    // Read everything the operator gave before opening the store, so bad input writes nothing.
    const claims = action === 'create' || action === 'update' ? await claimsFrom(values) : undefined;
    if (values.role !== undefined && values.roles !== undefined) throw new GatehouseError('GH_CLI_USAGE', 'give --role or --roles, not both');
    const roles = values.roles === undefined ? undefined : list(values.roles);
    const groups = values.groups === undefined ? undefined : list(values.groups);
    const attrs = (values.attr ?? []).map(attrPair);
    const unset = values['unset-attr'] ?? [];
    if (action === 'update' && claims === undefined && roles === undefined && groups === undefined && attrs.length === 0 && unset.length === 0)
      throw new GatehouseError('GH_CLI_USAGE', 'users update needs --claims, --claim, --email, --roles, --groups, --attr or --unset-attr');
    const password = action === 'create' || action === 'set-password' ? await passwordFromStdin(io) : '';
    const { application: app, actor, close, config } = await openCliContext(values.config, io);
    try {
      // --attr values read as their configured type (integer, number, boolean), else as strings.
      const defs = config.users.attributes;
      const typed = attrs.map(([k, v]) => [k, attributeFromText(Object.hasOwn(defs, k) ? defs[k] : undefined, v)] as const);
      const json = values.json === true;
      const ref = { user: user! };
      switch (action) {
        case 'create':
          print(
            io,
            json,
            await app.users.create(actor, {
              username: values.username!,
              password,
              roles: roles ?? [values.role ?? 'user'],
              ...(groups ? { groups } : {}),
              ...(claims ? { claims } : {}),
              ...(typed.length ? { attributes: Object.fromEntries(typed) } : {}),
            }),
          );
          break;
        case 'list':
          printList(
            io,
            json,
            await app.users.list(actor, listInput(values)),
            [
              { head: 'ID', cell: (u) => u.id },
              { head: 'USERNAME', cell: (u) => u.username },
              { head: 'ROLES', cell: (u) => u.roles.join(',') },
              { head: 'EMAIL', cell: (u) => u.claims.email ?? '-' },
              { head: 'STATUS', cell: (u) => (u.disabled ? 'disabled' : 'enabled') },
            ],
            'no users (gatehouse users create --help)',
          );
          break;
        case 'show':
          print(io, json, await app.users.show(actor, ref));
          break;
        case 'update':
          print(
            io,
            json,
            await app.users.update(actor, {
              ...ref,
              ...(claims ? { claims } : {}),
              ...(roles ? { roles } : {}),
              ...(groups ? { groups } : {}),
              ...(typed.length || unset.length ? { attributes: { ...Object.fromEntries(unset.map((k) => [k, null])), ...Object.fromEntries(typed) } } : {}),
            }),
          );
          break;
        case 'set-password':
          print(io, json, await app.users.setPassword(actor, { ...ref, password }));
          break;
        case 'disable':
          print(io, json, await app.users.disable(actor, ref));
          break;
        case 'enable':
          print(io, json, await app.users.enable(actor, ref));
          break;
        case 'unlock':
          printRecord(io, json, await app.users.unlock(actor, ref));
          // counters_cleared counts only what this process reaches (Redis); the new sign-in
          // generation in the store reaches every server process, with or without Redis.
          io.err(
            "note: the user's sign-in generation was changed in the store, so every server process counts this user's sign-ins afresh (see docs/security.md)",
          );
          break;
        case 'end-sessions':
          printRecord(io, json, await app.sessions.endAll(actor, ref));
          break;
        default:
          printRecord(io, json, await app.users.delete(actor, ref));
      }
      return 0;
    } finally {
      await close();
    }
  },
};
