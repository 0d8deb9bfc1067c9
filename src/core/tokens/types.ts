/** Successful token endpoint response body (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  /** RFC 8693 §2.2.1: `N_A` when the issued token is not an access token (ID-JAG, transaction token). */
  readonly token_type: 'Bearer' | 'DPoP' | 'N_A';
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly issued_token_type?: string;
}
