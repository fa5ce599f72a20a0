// Lowers the original audio while dubbed speech plays, and brings it back after.
// Ducking acts on the monitor gain, not on the page's <video> volume, so the
// audio captured for recognition keeps its full level.

/** Smoothing time constant of the gain ramps, seconds. */
const RAMP_SECONDS = 0.08;
/** Wait this long after the dub falls silent before restoring, so short gaps do not pump. */
const RESTORE_HOLD_SECONDS = 0.4;

export class Ducker {
  private ducked = false;
  private level: number;

  constructor(
    private readonly context: BaseAudioContext,
    private readonly gain: GainNode,
    level: number,
  ) {
    this.level = clampVolume(level);
  }

  /** The volume (0..1) of the original while the dub plays. */
  setLevel(level: number): void {
    this.level = clampVolume(level);
    if (this.ducked) this.ramp(this.level, 0);
  }

  duck(): void {
    this.ducked = true;
    this.ramp(this.level, 0);
  }

  restore(): void {
    this.ducked = false;
    this.ramp(1, RESTORE_HOLD_SECONDS);
  }

  private ramp(target: number, delaySeconds: number): void {
    const now = this.context.currentTime;
    this.gain.gain.cancelScheduledValues(now);
    this.gain.gain.setTargetAtTime(target, now + delaySeconds, RAMP_SECONDS);
  }
}

function clampVolume(level: number): number {
  return Number.isFinite(level) ? Math.min(1, Math.max(0, level)) : 1;
}
