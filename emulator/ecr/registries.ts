/**
 * The registries one emulator serves, each an (account, region) with its own
 * store, as an organization scan meets them. Their API contexts share the
 * page sizes, authorization and pull-time exclusions of the emulator's own
 * registry, so the emulator's setters reach every registry at once.
 */
import { ApiContext } from './api';
import { RegistrySettings, RegistrySettingsContent } from './registry-settings';
import { EcrStore, EcrStoreContent } from './store';
import { SyntheticStore } from './synthetic';

/** Another (account, region) registry one emulator serves. */
export interface EcrRegistryContent extends RegistrySettingsContent {
  accountId: string;
  region: string;
  repositories?: EcrStoreContent;
  synthetic?: SyntheticStore;
}

/** A registry being served: its `account/region` label, its store and the context its operations run in. */
export interface ServedRegistry {
  label: string;
  store: EcrStore;
  /** Its pull-through cache rules and account settings. */
  settings: RegistrySettings;
  ctx: ApiContext;
}

export type RegistryContent = Omit<EcrRegistryContent, 'accountId' | 'region'>;

function checkAccountId(accountId: string): void {
  if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, got ${accountId}`);
}

function storeWith(content: RegistryContent): EcrStore {
  const made = new EcrStore();
  for (const repo of content.synthetic?.repositories ?? []) made.addGeneratedRepository(repo.name, repo.source, repo.createdAt);
  if (content.repositories) made.load(content.repositories);
  return made;
}

export class Registries {
  /** The emulator's own registry: where unsigned-scope requests go, and whose account the messages name. */
  readonly main: ServedRegistry;
  private readonly byLabel = new Map<string, ServedRegistry>();

  constructor(ctx: ApiContext, content: RegistryContent, extras: readonly EcrRegistryContent[]) {
    checkAccountId(ctx.accountId);
    this.main = this.add(ctx, content);
    for (const extra of extras) {
      checkAccountId(extra.accountId);
      this.add({ ...ctx, accountId: extra.accountId, region: extra.region }, extra);
    }
  }

  get(accountId: string, region: string): ServedRegistry | undefined {
    return this.byLabel.get(`${accountId}/${region}`);
  }

  private add(ctx: ApiContext, content: RegistryContent): ServedRegistry {
    const store = storeWith(content);
    const served = { label: `${ctx.accountId}/${ctx.region}`, store, settings: new RegistrySettings(content, () => store.nowMs()), ctx };
    this.byLabel.set(served.label, served);
    return served;
  }
}
