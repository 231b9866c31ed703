/**
 * The checks AWS makes before it looks at the operation. Signatures are not
 * verified (there is no secret to verify them with), but the credential scope
 * is: a client that forgets to sign, signs for another service or a region the
 * account does not have, or sends an expired session, fails here as it would
 * against AWS.
 */
import { IncomingMessage } from 'node:http';
import { EcrServiceError } from './api';
import { Registries, ServedRegistry } from './registries';
import { accountOfAccessKey, decodeSessionToken, signingScope } from '../sts/identity';

/** The registry a request is for (the account its access key names, in the region it was signed for), or why AWS would refuse it. */
export function registryOfRequest(req: IncomingMessage, registries: Registries): ServedRegistry | EcrServiceError {
  const auth = req.headers.authorization;
  if (!auth) return new EcrServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const { accountId, region } = registries.main.ctx;
  const scope = signingScope(auth);
  if (!scope) return registries.get(accountId, region)!;
  if (scope.service !== 'ecr') {
    return new EcrServiceError('InvalidSignatureException', `Credential should be scoped to correct service: 'ecr'. `);
  }
  const session = decodeSessionToken(String(req.headers['x-amz-security-token'] ?? ''));
  if (session && session.expiresAt <= Date.now()) {
    return new EcrServiceError('ExpiredTokenException', 'The security token included in the request is expired');
  }
  const account = accountOfAccessKey(scope.accessKeyId) ?? accountId;
  const found = registries.get(account, scope.region);
  if (found) return found;
  if (account === accountId) {
    return new EcrServiceError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${scope.region}'. `);
  }
  // What AWS answers in a region the account has not enabled (an opt-in region).
  return new EcrServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.');
}
