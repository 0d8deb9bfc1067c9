import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ConsentView, GrantView, ListResult, SessionView, UserView } from '../../app/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import type { AppContext } from '../context.ts';
import { html, type SafeHtml } from '../pages/html.ts';
import { type ConsoleCtx, date, type Form, type Guard, LINK, PAGE_SIZE, pager, queryOf, searchForm, sortHeader, sortOf, str, TD, TH } from './console-kit.ts';
import { BTN, BTN_SECONDARY, CARD, INPUT, LABEL, confirmAction, drawer, notice, postForm, textField } from './console-layout.ts';

/**
 * What the grants page may say after a change. `?done=` is a key into this table, never text: a
 * link with `done=<any sentence>` would otherwise put someone else's words in the console's
 * success notice (content spoofing). An unknown key shows nothing.
 */
const GRANTS_DONE = { revoked: 'The grant was revoked.', 'revoked-all': 'Every grant was revoked.' } as const;
type GrantsDone = keyof typeof GRANTS_DONE;
const grantsNotice = (done: string | undefined) => notice(done !== undefined && Object.hasOwn(GRANTS_DONE, done) ? GRANTS_DONE[done as GrantsDone] : null);

/** Users (list, create, edit claims and roles, disable, reset password, sessions), grants and tokens, consents. */
export function registerPeoplePages(app: FastifyInstance, ctx: AppContext, guarded: Guard): void {
  const base = ctx.config.issuer.replace(/\/+$/, '');
  const run = (name: string, c: ConsoleCtx, input: unknown) => ctx.application.run(name, c.actor, input);
  const userPath = (u: { id: string }) => `${base}/admin/users/${encodeURIComponent(u.id)}`;
  const csv = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const json = (v: string, what: string): Record<string, unknown> => {
    let o: unknown;
    try {
      o = JSON.parse(v || '{}');
    } catch {
      throw new GatehouseError('GH_INVALID_INPUT', `${what}: not valid JSON`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new GatehouseError('GH_INVALID_INPUT', `${what}: must be a JSON object`);
    return o as Record<string, unknown>;
  };

  // ---- Users list and create ---------------------------------------------------------------
  app.get(
    '/admin/users',
    { schema: { hide: true } },
    guarded(async (request, reply, c) => {
      const q = queryOf(request);
      const s = sortOf(q, ['username', 'created_at'], 'username');
      const search = (q['q'] ?? '').slice(0, 200);
      const page = (await run('users.list', c, {
        limit: PAGE_SIZE,
        sort: s.sort,
        order: s.order,
        ...(search ? { q: search } : {}),
        ...(q['cursor'] ? { cursor: q['cursor'] } : {}),
      })) as ListResult<UserView>;
      const path = `${base}/admin/users`;
      const create = postForm(
        path,
        c.csrfToken,
        html`${textField({ id: 'new-username', name: 'username', label: 'Username', required: true })}
${textField({ id: 'new-password', name: 'password', label: 'Password', type: 'password', required: true, hint: 'At least 8 characters, not a known-breached password.' })}
${textField({ id: 'new-name', name: 'name', label: 'Name' })}
${textField({ id: 'new-email', name: 'email', label: 'Email', type: 'email' })}
${textField({ id: 'new-roles', name: 'roles', label: 'Roles (comma-separated)', value: 'user', hint: 'admin: the console and everything; auditor: the console, read-only.' })}
<button type="submit" id="create-user-submit" class="${BTN} mt-6">Create</button>`,
      );
      return c.page(
        reply,
        'Users',
        '/admin/users',
        html`${notice(q['done'] === 'deleted' ? 'The user was deleted.' : null)}
<div class="mb-4 flex items-center justify-between">${searchForm(path, search, s.raw, 'Username starts with')}
${c.viewer.role === 'admin' ? drawer({ id: 'create-user', label: 'New user', title: 'New user', body: create }) : ''}</div>
<div class="overflow-x-auto"><table class="w-full border-collapse ${CARD} p-0"><caption class="sr-only">Users</caption>
<thead><tr class="border-b border-slate-300 dark:border-slate-700">${sortHeader(path, 'Username', 'username', s, search)}<th scope="col" class="${TH}">Name</th><th scope="col" class="${TH}">Roles</th><th scope="col" class="${TH}">Status</th>${sortHeader(path, 'Created', 'created_at', s, search)}</tr></thead>
<tbody>${page.items.map(
          (u) =>
            html`<tr class="border-b border-slate-200 dark:border-slate-800"><td class="${TD}"><a class="${LINK}" href="${userPath(u)}">${u.username}</a></td><td class="${TD}">${u.claims.name ?? ''}</td><td class="${TD}">${u.roles.join(', ')}</td><td class="${TD}">${u.disabled ? 'disabled' : 'enabled'}</td><td class="${TD}">${date(u.created_at)}</td></tr>`,
        )}</tbody></table></div>
${page.items.length === 0 ? html`<p class="mt-4">No users match.</p>` : ''}
${pager(path, search, s.raw, page.next_cursor, q['cursor'] !== undefined)}`,
      );
    }),
  );
  app.post(
    '/admin/users',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const b = (request.body ?? {}) as Form;
        const claims: Record<string, unknown> = {};
        if (str(b['name'])) claims['name'] = str(b['name']);
        if (str(b['email'])) claims['email'] = str(b['email']);
        const u = (await run('users.create', c, {
          username: str(b['username']),
          password: str(b['password']),
          roles: csv(str(b['roles'])),
          claims,
        })) as UserView;
        return userPage(reply, c, u, 'The user was created.', 201);
      },
      { mutation: true },
    ),
  );

  // ---- One user ----------------------------------------------------------------------------
  const userPage = async (reply: FastifyReply, c: ConsoleCtx, u: UserView, done: string | null, status = 200) => {
    const path = userPath(u);
    const admin = c.viewer.role === 'admin';
    const sessions = (await run('sessions.list', c, { user: u.id, limit: 50 })) as ListResult<SessionView>;
    const consents = (await run('consents.list', c, { user: u.id, limit: 50 })) as ListResult<ConsentView>;
    const actions = admin
      ? html`<div class="mt-4 flex flex-wrap gap-2">
${drawer({
  id: 'edit-user',
  label: 'Edit claims and roles',
  title: `Edit ${u.username}`,
  body: postForm(
    path,
    c.csrfToken,
    html`${textField({ id: 'edit-roles', name: 'roles', label: 'Roles (comma-separated)', value: u.roles.join(', ') })}
${textField({ id: 'edit-groups', name: 'groups', label: 'Groups (comma-separated)', value: u.groups.join(', ') })}
<div class="mt-4"><label for="edit-claims" class="${LABEL}">Claims (JSON; remove a member to delete it)</label>
<textarea id="edit-claims" name="claims" rows="10" class="${INPUT} font-mono">${JSON.stringify(u.claims, null, 2)}</textarea></div>
<button type="submit" id="edit-user-submit" class="${BTN} mt-6">Save</button>`,
  ),
})}
${drawer({
  id: 'reset-password',
  label: 'Reset password',
  title: 'Reset password',
  body: postForm(
    `${path}/password`,
    c.csrfToken,
    html`${textField({ id: 'reset-password-value', name: 'password', label: 'New password', type: 'password', required: true })}
<button type="submit" id="reset-password-submit" class="${BTN} mt-6">Set password</button>`,
  ),
})}
${
  u.disabled
    ? postForm(`${path}/enable`, c.csrfToken, html`<button type="submit" id="enable-user" class="${BTN_SECONDARY}">Enable</button>`)
    : confirmAction({
        id: 'disable-user',
        label: 'Disable',
        title: `Disable ${u.username}?`,
        text: 'They cannot sign in and their tokens stop working at once, until enabled again.',
        action: `${path}/disable`,
        csrfToken: c.csrfToken,
        confirmLabel: 'Disable',
      })
}
${confirmAction({ id: 'end-sessions', label: 'End all sessions', title: 'End every session?', text: 'Every session of this user ends at once: each browser signed in to Gatehouse or to this console (at its next click); clients are told by back-channel logout.', action: `${path}/end-sessions`, csrfToken: c.csrfToken, confirmLabel: 'End sessions' })}
${confirmAction({ id: 'revoke-user-tokens', label: 'Revoke all tokens', title: 'Revoke every token?', text: 'Every grant and token of this user, at every client, is revoked.', action: `${path}/revoke-tokens`, csrfToken: c.csrfToken, confirmLabel: 'Revoke' })}
</div>`
      : '';
    const sessionRows = sessions.items.map(
      (s) =>
        html`<tr class="border-b border-slate-200 dark:border-slate-800"><td class="${TD} font-mono">${s.sid}</td><td class="${TD}">${date(s.auth_time)}</td><td class="${TD}">${s.client_ids.join(', ')}</td><td class="${TD}">${
          admin
            ? confirmAction({
                id: `end-${s.sid}`,
                label: 'End',
                title: 'End this session?',
                text: 'The browser is signed out of this account.',
                action: `${path}/sessions/${encodeURIComponent(s.sid)}/end`,
                csrfToken: c.csrfToken,
                confirmLabel: 'End session',
              })
            : ''
        }</td></tr>`,
    );
    const consentRows = consents.items.map(
      (k) =>
        html`<tr class="border-b border-slate-200 dark:border-slate-800"><td class="${TD} font-mono">${k.client_id}</td><td class="${TD}">${k.scopes.join(' ')}</td><td class="${TD}">${date(k.updated_at)}</td><td class="${TD}">${
          admin
            ? confirmAction({
                id: `revoke-consent-${k.client_id}`,
                label: 'Revoke',
                title: 'Revoke this consent?',
                text: 'The client must ask again next time.',
                action: `${base}/admin/consents/revoke`,
                csrfToken: c.csrfToken,
                confirmLabel: 'Revoke',
                hidden: { user: u.id, client_id: k.client_id },
              })
            : ''
        }</td></tr>`,
    );
    return c.page(
      reply,
      u.username,
      '/admin/users',
      html`${notice(done)}${actions}
<dl class="${CARD} mt-4 grid grid-cols-2 gap-2">
<div><dt class="text-xs font-semibold">User id</dt><dd class="font-mono text-sm">${u.id}</dd></div>
<div><dt class="text-xs font-semibold">Status</dt><dd class="text-sm">${u.disabled ? 'disabled' : 'enabled'}</dd></div>
<div><dt class="text-xs font-semibold">Roles</dt><dd class="text-sm" id="user-roles">${u.roles.join(', ')}</dd></div>
<div><dt class="text-xs font-semibold">Groups</dt><dd class="text-sm">${u.groups.join(', ')}</dd></div>
<div class="col-span-2"><dt class="text-xs font-semibold">Claims</dt><dd class="font-mono text-sm break-all">${JSON.stringify(u.claims)}</dd></div>
</dl>
<p class="mt-4"><a class="${LINK}" href="${base}/admin/grants?user=${encodeURIComponent(u.id)}">Grants and tokens of ${u.username}</a></p>
<h2 class="mt-6 text-base font-semibold">Sessions</h2>
${table(['Session (sid)', 'Signed in', 'Clients', ''], sessionRows, 'No signed-in sessions.')}
<h2 id="consents" class="mt-6 text-base font-semibold">Consents</h2>
${table(['Client', 'Scopes', 'Given', ''], consentRows, 'No remembered consents.')}`,
      status,
    );
  };
  const userParam = (request: { params: unknown }) => (request.params as { id: string }).id;
  const show = async (c: ConsoleCtx, id: string) => (await run('users.show', c, { user: id })) as UserView;

  app.get(
    '/admin/users/:id',
    { schema: { hide: true } },
    guarded(async (request, reply, c) => userPage(reply, c, await show(c, userParam(request)), null)),
  );
  app.post(
    '/admin/users/:id',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const id = userParam(request);
        const b = (request.body ?? {}) as Form;
        const current = await show(c, id);
        const claims: Record<string, unknown> = json(str(b['claims']), 'Claims');
        for (const k of Object.keys(current.claims)) if (!(k in claims)) claims[k] = null;
        const u = (await run('users.update', c, { user: id, roles: csv(str(b['roles'])), groups: csv(str(b['groups'])), claims })) as UserView;
        return userPage(reply, c, u, 'The user was saved.');
      },
      { mutation: true },
    ),
  );
  for (const [action, useCase, done] of [
    ['disable', 'users.disable', 'The user was disabled.'],
    ['enable', 'users.enable', 'The user was enabled.'],
    ['end-sessions', 'sessions.end_all', 'Every session of the user was ended, console sessions included.'],
    ['revoke-tokens', 'grants.revoke_for_user', 'Every token of the user was revoked.'],
  ] as const) {
    app.post(
      `/admin/users/:id/${action}`,
      { schema: { hide: true } },
      guarded(
        async (request, reply, c) => {
          const id = userParam(request);
          await run(useCase, c, { user: id });
          return userPage(reply, c, await show(c, id), done);
        },
        { mutation: true },
      ),
    );
  }
  app.post(
    '/admin/users/:id/password',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const id = userParam(request);
        await run('users.set_password', c, { user: id, password: str(((request.body ?? {}) as Form)['password']) });
        return userPage(reply, c, await show(c, id), 'The password was set; every console session of the user ended.');
      },
      { mutation: true },
    ),
  );
  app.post(
    '/admin/users/:id/sessions/:sid/end',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const { id, sid } = request.params as { id: string; sid: string };
        // The page is this user's: a sid of someone else is not found here (and stays signed in).
        await run('sessions.end', c, { sid, user: id });
        return userPage(reply, c, await show(c, id), 'The session was ended.');
      },
      { mutation: true },
    ),
  );

  // ---- Consents ----------------------------------------------------------------------------
  app.post(
    '/admin/consents/revoke',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const b = (request.body ?? {}) as Form;
        const user = str(b['user']);
        await run('consents.revoke', c, { user, client_id: str(b['client_id']) });
        return userPage(reply, c, await show(c, user), 'The consent was revoked.');
      },
      { mutation: true },
    ),
  );
  app.get(
    '/admin/consents',
    { schema: { hide: true } },
    guarded(async (request, reply, c) => {
      const user = (queryOf(request)['user'] ?? '').slice(0, 255);
      if (user) {
        const u = await show(c, user);
        return reply.redirect(`${userPath(u)}#consents`, 303);
      }
      return c.page(
        reply,
        'Consents',
        '/admin/consents',
        html`<p class="mb-4 text-sm">Consents are kept per user: find the user, then revoke on their page.</p>${lookupForm(`${base}/admin/consents`, 'user', 'Username or user id', '')}`,
      );
    }),
  );

  // ---- Grants and tokens -------------------------------------------------------------------
  app.get(
    '/admin/grants',
    { schema: { hide: true } },
    guarded(async (request, reply, c) => {
      const q = queryOf(request);
      const user = (q['user'] ?? '').slice(0, 255);
      const client = (q['client_id'] ?? '').slice(0, 255);
      const path = `${base}/admin/grants`;
      const forms = html`<div class="flex flex-wrap gap-6">${lookupForm(path, 'user', 'By user (username or id)', user)}${lookupForm(path, 'client_id', 'By client id', client)}</div>`;
      if (!user && !client) return c.page(reply, 'Grants and tokens', '/admin/grants', html`${grantsNotice(q['done'])}${forms}`);
      const filter: Record<string, string> = user ? { user } : { client_id: client };
      const page = (await run('grants.list', c, { ...filter, limit: PAGE_SIZE, ...(q['cursor'] ? { cursor: q['cursor'] } : {}) })) as ListResult<GrantView>;
      const admin = c.viewer.role === 'admin';
      const rows = page.items.map(
        (g) =>
          html`<tr class="border-b border-slate-200 dark:border-slate-800" data-grant="${g.grant_id}"><td class="${TD} font-mono">${g.grant_id}</td><td class="${TD} font-mono">${g.client_id}</td><td class="${TD}">${g.scope}</td><td class="${TD}">${g.active_tokens}</td><td class="${TD}">${date(g.created_at)}</td><td class="${TD}">${
            admin
              ? confirmAction({
                  id: `revoke-${g.grant_id}`,
                  label: 'Revoke',
                  title: 'Revoke this grant?',
                  text: 'Its refresh and access tokens stop working at once.',
                  action: `${path}/revoke`,
                  csrfToken: c.csrfToken,
                  confirmLabel: 'Revoke',
                  hidden: { grant_id: g.grant_id, ...filter },
                })
              : ''
          }</td></tr>`,
      );
      const next = page.next_cursor ? `${path}?${new URLSearchParams({ ...filter, cursor: page.next_cursor }).toString()}` : null;
      return c.page(
        reply,
        'Grants and tokens',
        '/admin/grants',
        html`${grantsNotice(q['done'])}${forms}
${
  admin
    ? html`<div class="mt-4">${confirmAction({ id: 'revoke-all', label: user ? 'Revoke all of this user' : 'Revoke all of this client', title: 'Revoke every grant listed?', text: 'Every grant and token of this user or client is revoked.', action: `${path}/revoke-all`, csrfToken: c.csrfToken, confirmLabel: 'Revoke all', hidden: filter })}</div>`
    : ''
}
<div class="mt-4">${table(['Grant', 'Client', 'Scope', 'Live tokens', 'Issued', ''], rows, 'No live grants.')}</div>
${next ? html`<p class="mt-4"><a id="next-page" class="${BTN_SECONDARY}" href="${next}">Next page</a></p>` : ''}`,
      );
    }),
  );
  const back = (b: Form, done: GrantsDone) => {
    const user = str(b['user']);
    const client = str(b['client_id']);
    return `${base}/admin/grants?${new URLSearchParams({ ...(user ? { user } : { client_id: client }), done }).toString()}`;
  };
  app.post(
    '/admin/grants/revoke',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const b = (request.body ?? {}) as Form;
        await run('grants.revoke', c, { grant_id: str(b['grant_id']) });
        return reply.redirect(back(b, 'revoked'), 303);
      },
      { mutation: true },
    ),
  );
  app.post(
    '/admin/grants/revoke-all',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const b = (request.body ?? {}) as Form;
        if (str(b['user'])) await run('grants.revoke_for_user', c, { user: str(b['user']) });
        else await run('grants.revoke_for_client', c, { client_id: str(b['client_id']) });
        return reply.redirect(back(b, 'revoked-all'), 303);
      },
      { mutation: true },
    ),
  );
}

/** A GET form with one field (the grants and consents lookups). */
export function lookupForm(action: string, name: string, label: string, value: string): SafeHtml {
  return html`<form method="get" action="${action}" role="search" class="flex items-end gap-2">
<div><label for="lookup-${name}" class="${LABEL}">${label}</label><input id="lookup-${name}" name="${name}" value="${value}" class="${INPUT}"></div>
<button type="submit" class="${BTN_SECONDARY}">Show</button></form>`;
}

/** A simple table (headings and rows), or a line saying it is empty. */
export function table(headings: readonly string[], rows: readonly SafeHtml[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="text-sm">${empty}</p>`;
  return html`<div class="overflow-x-auto"><table class="w-full border-collapse ${CARD} p-0"><thead><tr class="border-b border-slate-300 dark:border-slate-700">${headings.map((h) => html`<th scope="col" class="${TH}">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}
