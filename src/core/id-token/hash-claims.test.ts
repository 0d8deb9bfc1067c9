import assert from 'node:assert/strict';
import { test } from 'node:test';
import { halfHash } from './hash-claims.ts';

test('OIDC Core §3.3.2.11 at_hash of the Appendix A.3 example access token (RS256)', () => {
  assert.equal(halfHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256'), '77QmUPtjPfzWtF2AnpK9RQ');
});

test('OIDC Core §3.3.2.11 c_hash of the Appendix A.4 example code (RS256)', () => {
  assert.equal(halfHash('Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk', 'RS256'), 'LDktKdoQak3Pk0cnXxCltA');
});

const TOKEN = 'YmJiZTAwYmYtMzgyOC00NzhkLTkyOTItNjJjNDM3MGYzOWIy9sFhvH8K_x8UIHj1osisS57f5DduL-ar_qw5jl3lthwpMjm283aVMQXDmoqqqydDSqJfbhptzw8rUVwkuQbolw';

test('OIDC Core §3.3.2.11 every SHA-256 algorithm gives the same 128-bit hash', () => {
  // Vector published with oidc-token-hash (panva) for RS256.
  for (const alg of ['RS256', 'PS256', 'ES256'] as const) assert.equal(halfHash(TOKEN, alg), 'x7vk7f6BvQj0jQHYFIk4ag');
});

test('OpenID connect#1125 EdDSA (Ed25519) hashes with SHA-512 and keeps 256 bits', () => {
  // Vector published with oidc-token-hash (panva) for EdDSA with the Ed25519 curve.
  assert.equal(halfHash(TOKEN, 'EdDSA'), 'EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ');
});
