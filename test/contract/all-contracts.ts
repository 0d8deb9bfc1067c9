// Every storage contract suite, registered for one backend.
import { auditStoreContract } from './audit-store.contract.ts';
import { clientListContract } from './client-list.contract.ts';
import { clientStoreContract } from './client-store.contract.ts';
import { codeStoreContract } from './code-store.contract.ts';
import { consentStoreContract } from './consent-store.contract.ts';
import { deviceCodeStoreContract } from './device-code-store.contract.ts';
import { grantStoreContract } from './grant-store.contract.ts';
import type { GetHarness } from './harness.ts';
import { keyStoreContract } from './key-store.contract.ts';
import { outboxStoreContract } from './outbox-store.contract.ts';
import { parStoreContract } from './par-store.contract.ts';
import { replayCacheContract } from './replay-cache.contract.ts';
import { sessionStoreContract } from './session-store.contract.ts';
import { storageLifecycleContract } from './storage-lifecycle.contract.ts';
import { tokenDenylistContract } from './token-denylist.contract.ts';
import { tokenStoreContract } from './token-store.contract.ts';
import { unitOfWorkContract } from './unit-of-work.contract.ts';
import { userListContract } from './user-list.contract.ts';
import { userSessionStoreContract } from './user-session-store.contract.ts';
import { userStoreContract } from './user-store.contract.ts';

export function storageContracts(h: GetHarness): void {
  clientStoreContract(h);
  clientListContract(h);
  tokenStoreContract(h);
  grantStoreContract(h);
  tokenDenylistContract(h);
  replayCacheContract(h);
  keyStoreContract(h);
  userStoreContract(h);
  userListContract(h);
  sessionStoreContract(h);
  userSessionStoreContract(h);
  consentStoreContract(h);
  codeStoreContract(h);
  deviceCodeStoreContract(h);
  parStoreContract(h);
  outboxStoreContract(h);
  auditStoreContract(h);
  unitOfWorkContract(h);
  storageLifecycleContract(h);
}
