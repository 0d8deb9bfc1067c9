import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientView, ClientWithSecretView, KeyView, ListResult } from '../../app/index.ts';
import { GatehouseError } from '../../core/errors.ts';
import { servedGrantTypes } from '../../core/registration/client-metadata.ts';
import type { AppContext } from '../context.ts';
import { html, type SafeHtml } from '../pages/html.ts';
import type { ConsoleHandler } from '../routes/console.ts';
import { BTN, BTN_SECONDARY, CARD, INPUT, LABEL, confirmAction, drawer, notice, postForm, textField } from './console-layout.ts';
import { dashboardTiles, parseExposition, tilesFromSamples } from './dashboard-metrics.ts';
import { date, type Form, type Guard, LINK, lines, list, PAGE_SIZE, pager, queryOf, searchForm, sortHeader, sortOf, str, TD, TH } from './console-kit.ts';
import { CONSOLE_CLIENT_ID } from './console-session.ts';

/** The secret of a client, shown this once with a copy button. */
function secretOnce(secret: string): SafeHtml {
  return html`<div x-data="copy" class="${CARD} mt-4 border-amber-500">
<p class="text-sm font-semibold">Client secret: shown once. Copy it now; only its hash is kept.</p>
<div class="mt-2 flex items-center gap-2"><code x-ref="value" id="client-secret" class="rounded bg-slate-100 px-2 py-1 font-mono text-sm break-all dark:bg-slate-800">${secret}</code>
<button type="button" class="${BTN_SECONDARY}" x-on:click="copy">Copy</button><span role="status" class="text-sm" x-show="copied">Copied</span></div>
</div>`;
}

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt', 'client_secret_jwt'] as const;
/** Members the edit drawer shows as fields; every other registered member is edited as JSON. */
const FIELDS = ['client_name', 'redirect_uris', 'scope'] as const;
const READ_ONLY = new Set(['client_id', 'client_id_issued_at', 'client_secret_expires_at', 'disabled', 'updated_at', 'registration_client_uri']);

function clientForm(c: ClientView | null): SafeHtml {
  const uris = c ? c.redirect_uris.join('\n') : '';
  return html`${textField({ id: c ? 'edit-name' : 'client_name', name: 'client_name', label: 'Name', value: c?.client_name ?? '', required: true })}
<div class="mt-4"><label for="${c ? 'edit-uris' : 'redirect_uris'}" class="${LABEL}">Redirect URIs (one a line)</label>
<textarea id="${c ? 'edit-uris' : 'redirect_uris'}" name="redirect_uris" rows="3" class="${INPUT} font-mono">${uris}</textarea></div>
${textField({ id: c ? 'edit-scope' : 'scope', name: 'scope', label: 'Scope (space-separated)', value: c?.scope ?? '' })}`;
}

export function registerConsolePages(app: FastifyInstance, ctx: AppContext, guarded: Guard): void {
  const base = ctx.config.issuer.replace(/\/+$/, '');
  // The token endpoint's grants under this config (token exchange; the JWT bearer grant only with
  // a trusted issuer for it); `implicit` is not a token endpoint grant, so it is not offered here.
  const grants = servedGrantTypes(ctx.config).filter((g) => g !== 'implicit');
  const run = (name: string, c: { actor: import('../../app/index.ts').Actor }, input: unknown) => ctx.application.run(name, c.actor, input);
  const label = !ctx.metrics ? 'Metrics are off' : ctx.clusterMetrics ? 'All workers of this server' : 'This instance';
  // Under `serve --workers N` the tiles come from the primary's aggregate of every worker (the
  // same text /metrics answers); a failed aggregate falls back to this worker, labelled so.
  const tiles = async () => {
    if (!ctx.metrics) return null;
    if (ctx.clusterMetrics) {
      try {
        return { scope: 'workers', tiles: tilesFromSamples(parseExposition(await ctx.clusterMetrics())) };
      } catch {
        /* the aggregate timed out: this worker's own numbers */
      }
    }
    return { scope: 'instance', tiles: await dashboardTiles(ctx.metrics.registry) };
  };

  // ---- Dashboard ---------------------------------------------------------------------------
  app.get(
    '/admin',
    { schema: { hide: true } },
    guarded(async (_request, reply, c) => {
      const got = await tiles();
      const t = got?.tiles ?? null;
      const tile = (key: string, title: string, value: unknown, unit = '') =>
        html`<div class="${CARD}"><p class="text-sm text-slate-700 dark:text-slate-300">${title}</p><p class="mt-1 text-2xl font-semibold"><span data-metric="${key}">${value ?? '–'}</span>${unit}</p></div>`;
      return c.page(
        reply,
        'Dashboard',
        '/admin',
        t
          ? html`<section x-data="dashboard" data-src="${base}/admin/dashboard.json" aria-labelledby="tiles-title">
<h2 id="tiles-title" class="mb-3 text-base font-semibold">${got?.scope === 'instance' && ctx.clusterMetrics ? 'This worker (the aggregate did not answer)' : label} <span class="text-sm font-normal text-slate-700 dark:text-slate-300">(since it started; refreshed every 30 s from the metrics /metrics exposes)</span></h2>
<div class="grid grid-cols-2 gap-4 md:grid-cols-4">
${tile('requests', 'Requests', t.requests)}${tile('server_errors', 'Server errors (5xx)', t.server_errors)}${tile('tokens_issued', 'Tokens issued', t.tokens_issued)}${tile('tokens_revoked', 'Tokens revoked', t.tokens_revoked)}
${tile('failed_client_auth', 'Failed client authentications', t.failed_client_auth)}${tile('p50_ms', 'Latency p50', t.p50_ms, ' ms')}${tile('p95_ms', 'Latency p95', t.p95_ms, ' ms')}${tile('p99_ms', 'Latency p99', t.p99_ms, ' ms')}
</div>
<p class="mt-2 text-xs text-slate-700 dark:text-slate-300" aria-live="polite">Updated <span x-text="updated">at load</span></p>
<h2 class="mt-6 mb-2 text-base font-semibold">Activity <span class="text-sm font-normal text-slate-700 dark:text-slate-300">(requests per 30 s while this page is open)</span></h2>
<div class="${CARD}"><svg x-ref="chart" id="activity-chart" role="img" aria-label="Requests per 30 seconds" viewBox="0 0 300 100" preserveAspectRatio="none" class="h-32 w-full"></svg></div>
</section>`
          : html`<p class="${CARD}">Metrics are turned off (metrics.enabled = false), so the dashboard has no numbers.</p>`,
      );
    }),
  );
  app.get(
    '/admin/dashboard.json',
    { schema: { hide: true } },
    guarded(async (_request, reply) => {
      const got = await tiles();
      return reply
        .header('cache-control', 'no-store')
        .type('application/json')
        .send({ scope: got?.scope ?? 'none', tiles: got?.tiles ?? null });
    }),
  );

  // ---- Clients -----------------------------------------------------------------------------
  app.get(
    '/admin/clients',
    { schema: { hide: true } },
    guarded(async (request, reply, c) => {
      const q = queryOf(request);
      const s = sortOf(q, ['client_id', 'client_name', 'created_at'], 'client_id');
      const search = (q['q'] ?? '').slice(0, 200);
      const page = (await run('clients.list', c, {
        limit: PAGE_SIZE,
        sort: s.sort,
        order: s.order,
        ...(search ? { q: search } : {}),
        ...(q['cursor'] ? { cursor: q['cursor'] } : {}),
      })) as ListResult<ClientView>;
      const path = `${base}/admin/clients`;
      const canWrite = c.viewer.role === 'admin';
      return c.page(
        reply,
        'Clients',
        '/admin/clients',
        html`${notice(q['done'] === 'deleted' ? 'The client was deleted.' : null)}
<div class="mb-4 flex items-center justify-between">${searchForm(path, search, s.raw, s.sort === 'client_name' ? 'Name starts with' : 'Client ID starts with')}
${canWrite ? drawer({ id: 'create-client', label: 'New client', title: 'New client', body: createForm(c.csrfToken) }) : ''}</div>
<div class="overflow-x-auto"><table class="w-full border-collapse ${CARD} p-0"><caption class="sr-only">Clients</caption>
<thead><tr class="border-b border-slate-300 dark:border-slate-700">${sortHeader(path, 'Client ID', 'client_id', s, search)}${sortHeader(path, 'Name', 'client_name', s, search)}<th scope="col" class="${TH}">Grant types</th><th scope="col" class="${TH}">Status</th>${sortHeader(path, 'Created', 'created_at', s, search)}</tr></thead>
<tbody>${page.items.map(
          (cl) =>
            html`<tr class="border-b border-slate-200 dark:border-slate-800"><td class="${TD} font-mono"><a class="${LINK}" href="${path}/${encodeURIComponent(cl.client_id)}">${cl.client_id}</a></td><td class="${TD}">${cl.client_name ?? ''}</td><td class="${TD}">${cl.grant_types.join(', ')}</td><td class="${TD}">${cl.disabled ? 'disabled' : 'enabled'}</td><td class="${TD}">${date(cl.client_id_issued_at)}</td></tr>`,
        )}</tbody></table></div>
${page.items.length === 0 ? html`<p class="mt-4">No clients match.</p>` : ''}
${pager(path, search, s.raw, page.next_cursor, q['cursor'] !== undefined)}`,
      );
    }),
  );

  const createForm = (csrfToken: string) =>
    postForm(
      `${base}/admin/clients`,
      csrfToken,
      html`${clientForm(null)}
<fieldset class="mt-4"><legend class="${LABEL}">Grant types</legend>
${grants.map((g, i) => html`<label class="mr-3 inline-flex items-center gap-1 text-sm"><input type="checkbox" name="grant_types" value="${g}" id="grant-${i}"${g === 'authorization_code' ? html` checked` : ''}> ${g.replace('urn:ietf:params:oauth:grant-type:', '')}</label>`)}
</fieldset>
<div class="mt-4"><label for="auth-method" class="${LABEL}">Client authentication</label><select id="auth-method" name="token_endpoint_auth_method" class="${INPUT}">
${AUTH_METHODS.map((m) => html`<option value="${m}">${m}</option>`)}</select></div>
<button type="submit" id="create-client-submit" class="${BTN} mt-6">Create</button>`,
    );

  app.post<{ Body: Form }>(
    '/admin/clients',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const b = (request.body ?? {}) as Form;
        const grants = list(b['grant_types']);
        const metadata: Record<string, unknown> = {
          client_name: str(b['client_name']),
          grant_types: grants,
          response_types: grants.includes('authorization_code') ? ['code'] : [],
          token_endpoint_auth_method: str(b['token_endpoint_auth_method']) || 'client_secret_basic',
        };
        const uris = lines(str(b['redirect_uris']));
        if (uris.length) metadata['redirect_uris'] = uris;
        if (str(b['scope']).trim()) metadata['scope'] = str(b['scope']).trim();
        const out = (await run('clients.create', c, metadata)) as ClientWithSecretView;
        return clientPage(reply, c, out.client, 'The client was created.', out.client_secret, 201);
      },
      { mutation: true },
    ),
  );

  const clientPage = (
    reply: FastifyReply,
    c: Parameters<ConsoleHandler>[2],
    cl: ClientView,
    done: string | null,
    secret: string | null = null,
    status = 200,
  ) => {
    const path = `${base}/admin/clients/${encodeURIComponent(cl.client_id)}`;
    const canWrite = c.viewer.role === 'admin';
    const extra = Object.fromEntries(Object.entries(cl).filter(([k]) => !READ_ONLY.has(k) && !(FIELDS as readonly string[]).includes(k)));
    const builtIn = cl.client_id === CONSOLE_CLIENT_ID;
    const rows = Object.entries(cl).map(
      ([k, v]) =>
        html`<div class="py-1"><dt class="text-xs font-semibold text-slate-700 dark:text-slate-300">${k}</dt><dd class="font-mono text-sm break-all">${typeof v === 'string' ? v : JSON.stringify(v)}</dd></div>`,
    );
    const usesSecret = cl.token_endpoint_auth_method.startsWith('client_secret');
    return c.page(
      reply,
      cl.client_name ?? cl.client_id,
      '/admin/clients',
      html`${notice(done)}${secret ? secretOnce(secret) : ''}
${builtIn ? html`<p class="mt-4 text-sm">This is the console's own client, provisioned at every start. It is not changed here: disabling or deleting it would sign everyone out of the console (the CLI still can, docs/console.md).</p>` : ''}
${
  canWrite && !builtIn
    ? html`<div class="mt-4 flex flex-wrap gap-2">
${drawer({
  id: 'edit-client',
  label: 'Edit',
  title: 'Edit client',
  body: postForm(
    path,
    c.csrfToken,
    html`${clientForm(cl)}
<div class="mt-4"><label for="edit-extra" class="${LABEL}">Other metadata (JSON; remove a member to delete it)</label>
<textarea id="edit-extra" name="extra" rows="10" class="${INPUT} font-mono">${JSON.stringify(extra, null, 2)}</textarea></div>
<button type="submit" id="edit-client-submit" class="${BTN} mt-6">Save</button>`,
  ),
})}
${
  cl.disabled
    ? postForm(`${path}/enable`, c.csrfToken, html`<button type="submit" id="enable-client" class="${BTN_SECONDARY}">Enable</button>`)
    : confirmAction({
        id: 'disable-client',
        label: 'Disable',
        title: 'Disable this client?',
        text: 'It is refused at every endpoint at once, until enabled again.',
        action: `${path}/disable`,
        csrfToken: c.csrfToken,
        confirmLabel: 'Disable',
      })
}
${usesSecret ? confirmAction({ id: 'rotate-secret', label: 'Rotate secret', title: 'Rotate the client secret?', text: 'A new secret is issued and shown once; the current one stops working at once.', action: `${path}/rotate-secret`, csrfToken: c.csrfToken, confirmLabel: 'Rotate' }) : ''}
${confirmAction({ id: 'delete-client', label: 'Delete', title: 'Delete this client?', text: 'The client, its consents and every grant and token issued to it are deleted. This cannot be undone.', action: `${path}/delete`, csrfToken: c.csrfToken, confirmLabel: 'Delete' })}
</div>`
    : ''
}
<dl class="${CARD} mt-4">${rows}</dl>`,
      status,
    );
  };

  app.get<{ Params: { id: string } }>(
    '/admin/clients/:id',
    { schema: { hide: true } },
    guarded(async (request, reply, c) =>
      clientPage(reply, c, (await run('clients.show', c, { client_id: (request.params as { id: string }).id })) as ClientView, null),
    ),
  );

  app.post<{ Params: { id: string }; Body: Form }>(
    '/admin/clients/:id',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const id = (request.params as { id: string }).id;
        const b = request.body as Form;
        const current = (await run('clients.show', c, { client_id: id })) as ClientView;
        let extra: unknown;
        try {
          extra = JSON.parse(str(b['extra']) || '{}');
        } catch {
          throw new GatehouseError('GH_INVALID_INPUT', 'Other metadata: not valid JSON');
        }
        if (typeof extra !== 'object' || extra === null || Array.isArray(extra))
          throw new GatehouseError('GH_INVALID_INPUT', 'Other metadata: must be a JSON object');
        const metadata: Record<string, unknown> = { ...(extra as Record<string, unknown>) };
        for (const k of Object.keys(current)) if (!READ_ONLY.has(k) && !(k in metadata) && !(FIELDS as readonly string[]).includes(k)) metadata[k] = null;
        for (const k of READ_ONLY) delete metadata[k];
        metadata['client_name'] = str(b['client_name']) || null;
        const uris = lines(str(b['redirect_uris']));
        metadata['redirect_uris'] = uris.length ? uris : null;
        metadata['scope'] = str(b['scope']).trim() || null;
        const out = (await run('clients.update', c, { client_id: id, metadata })) as ClientWithSecretView;
        return clientPage(reply, c, out.client, 'The client was saved.', out.client_secret);
      },
      { mutation: true },
    ),
  );

  for (const [action, useCase, done] of [
    ['disable', 'clients.disable', 'The client was disabled.'],
    ['enable', 'clients.enable', 'The client was enabled.'],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/admin/clients/:id/${action}`,
      { schema: { hide: true } },
      guarded(
        async (request, reply, c) => clientPage(reply, c, (await run(useCase, c, { client_id: (request.params as { id: string }).id })) as ClientView, done),
        { mutation: true },
      ),
    );
  }
  app.post<{ Params: { id: string } }>(
    '/admin/clients/:id/rotate-secret',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        const out = (await run('clients.rotate_secret', c, { client_id: (request.params as { id: string }).id })) as ClientWithSecretView;
        return clientPage(reply, c, out.client, 'A new secret was issued.', out.client_secret);
      },
      { mutation: true },
    ),
  );
  app.post<{ Params: { id: string } }>(
    '/admin/clients/:id/delete',
    { schema: { hide: true } },
    guarded(
      async (request, reply, c) => {
        await run('clients.delete', c, { client_id: (request.params as { id: string }).id });
        return reply.redirect(`${base}/admin/clients?done=deleted`, 303);
      },
      { mutation: true },
    ),
  );

  // ---- Keys --------------------------------------------------------------------------------
  app.get(
    '/admin/keys',
    { schema: { hide: true } },
    guarded(async (request, reply, c) => keysPage(reply, c, queryOf(request)['done'] === 'rotated' ? 'The keys were rotated.' : null)),
  );
  const keysPage = async (reply: FastifyReply, c: Parameters<ConsoleHandler>[2], done: string | null) => {
    const keys = (await run('keys.list', c, { limit: 100, sort: 'created_at', order: 'desc' })) as ListResult<KeyView>;
    const now = Date.now() / 1000;
    const age = (k: KeyView) => {
      const d = Math.floor((now - k.created_at) / 86400);
      return d >= 1 ? `${d} d` : `${Math.floor((now - k.created_at) / 3600)} h`;
    };
    return c.page(
      reply,
      'Signing keys',
      '/admin/keys',
      html`${notice(done)}
${
  c.viewer.role === 'admin'
    ? confirmAction({
        id: 'rotate-keys',
        label: 'Rotate keys',
        title: 'Rotate the signing keys?',
        text: "Each algorithm's next key becomes active; the active key is retired and stays in the JWKS for the grace period.",
        action: `${base}/admin/keys/rotate`,
        csrfToken: c.csrfToken,
        confirmLabel: 'Rotate',
      })
    : ''
}
<div class="overflow-x-auto"><table class="mt-4 w-full border-collapse ${CARD} p-0"><caption class="sr-only">Signing keys</caption>
<thead><tr class="border-b border-slate-300 dark:border-slate-700"><th scope="col" class="${TH}">Key ID</th><th scope="col" class="${TH}">Algorithm</th><th scope="col" class="${TH}">Status</th><th scope="col" class="${TH}">Age</th><th scope="col" class="${TH}">In JWKS</th></tr></thead>
<tbody>${keys.items.map(
        (k) =>
          html`<tr class="border-b border-slate-200 dark:border-slate-800" data-kid="${k.kid}"><td class="${TD} font-mono">${k.kid}</td><td class="${TD}">${k.alg}</td><td class="${TD}">${keyStatus(k, now)}</td><td class="${TD}">${age(k)}</td><td class="${TD}">${k.published ? 'yes' : 'no'}</td></tr>`,
      )}</tbody></table></div>`,
    );
  };
  app.post(
    '/admin/keys/rotate',
    { schema: { hide: true } },
    guarded(
      async (_request, reply, c) => {
        await run('keys.rotate', c, {});
        return reply.redirect(`${base}/admin/keys?done=rotated`, 303);
      },
      { mutation: true },
    ),
  );
}

/** next, active, grace (retired but still in the JWKS) or retired. */
function keyStatus(k: KeyView, _now: number): string {
  if (k.status === 'retired') return k.published ? 'grace' : 'retired';
  return k.status;
}
