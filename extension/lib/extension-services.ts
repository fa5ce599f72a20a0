// The extension pages' shared services: the token vault over chrome.storage.local
// (key bound to this install's extension id) and an API client that uses it.
import { ApiClient } from "./api-client";
import { buildConfig } from "./build-config";
import { chromeStore, type KeyValueStore } from "./kv-store";
import { TokenVault } from "./token-vault";

export interface ExtensionServices {
  store: KeyValueStore;
  vault: TokenVault;
  api: ApiClient;
  /** Forget the cached token after sign-in or sign-out. */
  reloadToken(): void;
}

export function extensionServices(): ExtensionServices {
  const store = chromeStore(chrome.storage.local);
  const vault = new TokenVault(store, chrome.runtime.id);
  // Decrypting costs a PBKDF2 derivation: do it once per page, not per request.
  let token: Promise<string | null> | null = null;
  const api = new ApiClient({
    baseUrl: buildConfig.apiBaseUrl,
    getToken: () => (token ??= vault.load()),
  });
  return { store, vault, api, reloadToken: () => (token = null) };
}
