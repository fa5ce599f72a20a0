// Client-side usage: seconds streamed today, synced periodically with the server,
// whose answer (the source of truth) is what the popup shows.
import type { ApiClient } from "../lib/api-client";
import type { KeyValueStore } from "../lib/kv-store";
import { type UsageSnapshot, usageFrom } from "../lib/usage-snapshot";
import type { QuotaCheckResponse, UsageSyncResponse } from "../types/api";

const CLIENT_USAGE_KEY = "livedub.client-usage";
const USAGE_KEY = "livedub.usage";
export const USAGE_SYNC_ALARM = "livedub-usage-sync";
/** Chrome's shortest alarm period for packed extensions is 30 s; once a minute is plenty. */
const SYNC_PERIOD_MINUTES = 1;

interface ClientUsage {
  seconds: number;
  /** The server's next daily reset when we started counting; past it, start again. */
  resetsAt: string | null;
}

export class UsageTracker {
  constructor(
    private readonly store: KeyValueStore,
    private readonly api: ApiClient,
  ) {}

  async snapshot(): Promise<UsageSnapshot | null> {
    return (await this.store.get<UsageSnapshot>(USAGE_KEY)) ?? null;
  }

  /** Records what the server said (session create/end, quota check, sync). */
  async record(answer: QuotaCheckResponse | UsageSyncResponse): Promise<UsageSnapshot> {
    const usage = usageFrom(answer);
    await this.store.set(USAGE_KEY, usage);
    return usage;
  }

  /** A `usage` event's remaining seconds, between syncs. */
  async recordRemaining(remainingSeconds: number | null): Promise<void> {
    const usage = await this.snapshot();
    if (!usage || remainingSeconds === null || usage.dailyLimitMinutes === null) return;
    const remaining = remainingSeconds / 60;
    await this.store.set(USAGE_KEY, {
      ...usage,
      minutesRemaining: remaining,
      minutesUsed: Math.max(0, usage.dailyLimitMinutes - remaining),
    } satisfies UsageSnapshot);
  }

  async addStreamed(seconds: number): Promise<void> {
    const current = await this.clientUsage();
    await this.store.set(CLIENT_USAGE_KEY, { ...current, seconds: current.seconds + seconds });
  }

  async sync(): Promise<UsageSnapshot> {
    const current = await this.clientUsage();
    const answer = await this.api.syncUsage({ client_minutes_used: current.seconds / 60 });
    if (current.resetsAt !== answer.resets_at) {
      await this.store.set(CLIENT_USAGE_KEY, { ...current, resetsAt: answer.resets_at });
    }
    return this.record(answer);
  }

  startPeriodicSync(): Promise<void> {
    return chrome.alarms.create(USAGE_SYNC_ALARM, { periodInMinutes: SYNC_PERIOD_MINUTES });
  }

  async stopPeriodicSync(): Promise<void> {
    await chrome.alarms.clear(USAGE_SYNC_ALARM);
  }

  private async clientUsage(): Promise<ClientUsage> {
    const stored = (await this.store.get<ClientUsage>(CLIENT_USAGE_KEY)) ?? { seconds: 0, resetsAt: null };
    if (stored.resetsAt !== null && Date.parse(stored.resetsAt) <= Date.now()) {
      return { seconds: 0, resetsAt: null };
    }
    return stored;
  }
}
