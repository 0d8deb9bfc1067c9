import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import { listFields, MAX_LIMIT, toListQuery, toListResult } from './paging.ts';
import { endSids, loadSigningKeys, newSessionEpoch, sidsOfUser } from './session-ops.ts';
import { defineUseCase } from './use-case.ts';
import { mustFindUser, userRef } from './users.ts';
import { sessionView } from './views.ts';

const sid = z.string().min(1).max(255);

export const listSessionsUseCase = defineUseCase({
  name: 'sessions.list',
  summary: "A user's signed-in accounts (one per OIDC sid) across browser sessions; q is a sid prefix",
  role: 'viewer',
  input: z.strictObject({ user: userRef, ...listFields(['auth_time'], 'auth_time') }),
  event: null,
  handle: async (ctx, input) => {
    const user = await mustFindUser(ctx, input.user);
    return toListResult(await ctx.deps.userSessions.pageByUser(ctx.deps.tenantId, user.id, toListQuery(input, ['auth_time'])), sessionView);
  },
});

export const endSessionUseCase = defineUseCase({
  name: 'sessions.end',
  summary: "Sign one account (sid) out; its relying parties get back-channel Logout Tokens; with user, only that user's sid",
  role: 'operator',
  input: z.strictObject({ sid, user: userRef.optional() }),
  event: 'session.ended',
  beforeUnit: loadSigningKeys,
  handle: async (ctx, input) => {
    // A face that names the user (the console's user page) ends that user's sid only: another
    // user's sid is not found there, and stays signed in. The sid is the list's exact prefix key.
    if (input.user !== undefined) {
      const user = await mustFindUser(ctx, input.user);
      const page = await ctx.deps.userSessions.pageByUser(ctx.deps.tenantId, user.id, { limit: MAX_LIMIT, sort: 'auth_time', order: 'asc', q: input.sid });
      if (!page.items.some((a) => a.sid === input.sid))
        throw new GatehouseError('GH_NOT_FOUND', `no signed-in session with sid ${input.sid} for user ${input.user}`);
    }
    const { ended, backchannel } = await endSids(ctx.deps, ctx.events, [input.sid]);
    const account = ended[0];
    if (!account) throw new GatehouseError('GH_NOT_FOUND', `no signed-in session with sid ${input.sid}`);
    ctx.emit({ userId: account.userId, sids: [account.sid], backchannel });
    return { user_id: account.userId, sessions_ended: 1, backchannel };
  },
});

export const endUserSessionsUseCase = defineUseCase({
  name: 'sessions.end_all',
  summary:
    'Sign a user out everywhere: every console session (a new session generation) and every browser session; relying parties get back-channel Logout Tokens',
  role: 'operator',
  input: z.strictObject({ user: userRef }),
  event: 'session.ended',
  beforeUnit: loadSigningKeys,
  handle: async (ctx, input) => {
    const user = await newSessionEpoch(ctx.deps, await mustFindUser(ctx, input.user));
    const { ended, backchannel } = await endSids(ctx.deps, ctx.events, await sidsOfUser(ctx.deps, user.id));
    const sessionEpoch = user.sessionEpoch ?? 0;
    // Always emitted: the console sessions ended even when no browser session was signed in.
    ctx.emit({ userId: user.id, sids: ended.map((a) => a.sid), backchannel, sessionEpoch });
    return { user_id: user.id, sessions_ended: ended.length, backchannel, session_epoch: sessionEpoch };
  },
});

export const sessionUseCases = { list: listSessionsUseCase, end: endSessionUseCase, endAll: endUserSessionsUseCase } as const;
