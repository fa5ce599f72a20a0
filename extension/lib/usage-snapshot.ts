// The usage meter's numbers, always as the server last stated them.
import type { QuotaCheckResponse, UsageSyncResponse } from "../types/api";

export interface UsageSnapshot {
  tier: string;
  minutesUsed: number;
  minutesRemaining: number | null;
  dailyLimitMinutes: number | null;
  resetsAt: string;
}

export function usageFrom(answer: QuotaCheckResponse | UsageSyncResponse): UsageSnapshot {
  return {
    tier: answer.tier,
    minutesUsed: answer.minutes_used,
    minutesRemaining: answer.minutes_remaining,
    dailyLimitMinutes: answer.daily_limit_minutes,
    resetsAt: answer.resets_at,
  };
}

/** "2.5 of 5 min used today, 2.5 left" / "12 min used today (premium, no limit)". */
export function describeUsage(usage: UsageSnapshot): string {
  const used = formatMinutes(usage.minutesUsed);
  if (usage.dailyLimitMinutes === null) return `${used} min used today (${usage.tier}, no limit)`;
  const left = formatMinutes(usage.minutesRemaining ?? Math.max(0, usage.dailyLimitMinutes - usage.minutesUsed));
  return `${used} of ${formatMinutes(usage.dailyLimitMinutes)} min used today, ${left} left`;
}

function formatMinutes(minutes: number): string {
  return (Math.round(minutes * 10) / 10).toString();
}
