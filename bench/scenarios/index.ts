import type { Scenario } from '../lib/types.ts';
import { authCode } from './auth-code.ts';
import { ccDpop } from './cc-dpop.ts';
import { authCodeSession } from './auth-code-session.ts';
import { ccJwt } from './cc-jwt.ts';
import { ccOpaque } from './cc-opaque.ts';
import { hello } from './hello.ts';
import { introspectOpaque } from './introspect-opaque.ts';
import { jwks } from './jwks.ts';
import { refresh } from './refresh.ts';
import { signinUnderLoad } from './signin-under-load.ts';
import { tokenExchange } from './token-exchange.ts';

/** Every scenario, in table order. Add a file and a line here to add one. */
export const scenarios: readonly Scenario[] = [
  ccJwt,
  ccOpaque,
  ccDpop,
  tokenExchange,
  introspectOpaque,
  jwks,
  authCode,
  authCodeSession,
  refresh,
  signinUnderLoad,
  hello,
];
