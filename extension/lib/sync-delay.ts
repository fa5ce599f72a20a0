// Synced mode's delay: how long after the speaker starts talking the dub (or, without
// a dub, the final subtitle) is ready, measured per segment; the page's picture and
// sound are held back by that much, and each segment's dub and subtitles are timed
// to the held-back picture, so the dub starts on the speaker's lips.

/** Segments the estimate looks back over. */
const WINDOW = 12;
/** Held back a little more than the estimate, so the slower segments make it too. */
const MARGIN_MS = 150;
/** The delay moves only when the estimate moves this much: every move jolts the picture. */
const HYSTERESIS_MS = 250;
/** At most this much picture is buffered (memory: one bitmap per frame). */
export const MAX_SYNC_DELAY_MS = 8000;

export type SyncSampleKind = "dub" | "subtitle";

export class SyncDelayMeter {
  private readonly samples: Record<SyncSampleKind, number[]> = { dub: [], subtitle: [] };
  private readonly counted = new Set<string>();
  private applied: number | null = null;

  /** The delay in force (ms), or null before any segment was measured. */
  get delayMs(): number | null {
    return this.applied;
  }

  /**
   * A segment's dub (its first chunk) or final subtitle arrived `latencyMs` after its
   * speech began; returns true when the delay in force changed.
   */
  record(kind: SyncSampleKind, segment: number, latencyMs: number): boolean {
    const key = `${kind}:${segment}`;
    if (this.counted.has(key) || !Number.isFinite(latencyMs) || latencyMs < 0) return false;
    this.counted.add(key);
    const samples = this.samples[kind];
    samples.push(latencyMs);
    if (samples.length > WINDOW) samples.shift();
    const estimate = this.estimate();
    if (estimate === null) return false;
    if (this.applied !== null && Math.abs(estimate - this.applied) < HYSTERESIS_MS) return false;
    this.applied = estimate;
    return true;
  }

  private estimate(): number | null {
    // The dub comes last: once a session has dub samples, they decide.
    const samples = this.samples.dub.length > 0 ? this.samples.dub : this.samples.subtitle;
    if (samples.length === 0) return null;
    const sorted = [...samples].sort((a, b) => a - b);
    const p90 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)]!;
    return Math.min(MAX_SYNC_DELAY_MS, Math.round(p90 + MARGIN_MS));
  }
}
