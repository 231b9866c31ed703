/**
 * How to reach one source registry: its base URL and its credentials, found
 * once per host and run. Docker's config.json decides for every host it names;
 * an Amazon ECR host it does not name logs in through ECR itself.
 */
import { CredentialError, Credentials } from './credentials';
import { DockerConfig } from './docker-config';
import { parseEcrHost } from '../oci/ecr-host';
import { EcrClientFactory, ecrLogin } from './ecr-login';
import { RegistryEndpoints } from './endpoint';

export interface RegistryAccess {
  baseUrl: URL;
  credentials: Credentials | undefined;
}

export type RegistryAccessResolver = (registry: string) => Promise<RegistryAccess>;

export interface AccessOptions {
  dockerConfig: Pick<DockerConfig, 'lookup' | 'namesHost'>;
  endpoints: RegistryEndpoints;
  /** Needed only for ECR sources; without it an ECR host is treated like any registry. */
  ecrClientFor?: EcrClientFactory;
}

export function registryAccessResolver(options: AccessOptions): RegistryAccessResolver {
  const pending = new Map<string, Promise<RegistryAccess>>();
  const find = async (registry: string): Promise<RegistryAccess> => {
    const ecr = parseEcrHost(registry);
    if (ecr && options.ecrClientFor && !options.dockerConfig.namesHost(registry)) {
      const login = await ecrLogin(ecr, registry, options.ecrClientFor);
      if (!options.endpoints.allowsUrl(login.endpoint)) {
        throw new CredentialError(
          `ECR returned proxyEndpoint ${login.endpoint.origin} for ${registry}: plain HTTP to a host that must use TLS`,
        );
      }
      return { baseUrl: new URL(login.endpoint.origin), credentials: login.credentials };
    }
    return { baseUrl: options.endpoints.baseUrl(registry), credentials: await options.dockerConfig.lookup(registry) };
  };
  return (registry) => {
    let access = pending.get(registry);
    if (!access) {
      access = find(registry);
      pending.set(registry, access);
    }
    return access;
  };
}
