// Plays dubbed speech gap-free and in order: chunks queue by (segment, chunk),
// each PCM chunk becomes an AudioBuffer at the sample rate its event states.
import type { AudioEvent } from "../types/api";
import { base64ToBytes, s16leToFloat } from "./pcm";

/**
 * Schedule each chunk this long before the previous one ends, seconds: gap-free
 * despite timer jitter, while chunks that arrive out of order still get sorted.
 */
const SCHEDULE_AHEAD_SECONDS = 0.3;

interface QueuedChunk {
  segment: number;
  chunk: number;
  buffer: AudioBuffer;
  /** Not before this context time (synced mode: when the held-back picture shows its speech). */
  notBefore: number;
}

function before(a: { segment: number; chunk: number }, b: { segment: number; chunk: number }) {
  return a.segment < b.segment || (a.segment === b.segment && a.chunk < b.chunk);
}

/** Decodes one audio event's PCM (interleaved s16le) into an AudioBuffer. */
export function decodeAudioEvent(context: BaseAudioContext, event: AudioEvent): AudioBuffer {
  if (event.format.encoding !== "pcm_s16le") {
    throw new Error(`unsupported dub audio encoding ${event.format.encoding}`);
  }
  const channels = Math.max(1, event.format.channels);
  const samples = s16leToFloat(base64ToBytes(event.data));
  const frames = Math.floor(samples.length / channels);
  const buffer = context.createBuffer(channels, Math.max(1, frames), event.format.sample_rate);
  for (let c = 0; c < channels; c++) {
    const channel = buffer.getChannelData(c);
    for (let i = 0; i < frames; i++) channel[i] = samples[i * channels + c]!;
  }
  return buffer;
}

export class DubPlayer {
  private readonly pending: QueuedChunk[] = [];
  private readonly playing = new Set<AudioBufferSourceNode>();
  private last: { segment: number; chunk: number } | null = null;
  private scheduledUntil = 0;
  private active = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /**
   * @param onActiveChange true when dubbed speech starts, false once the queue has drained
   */
  constructor(
    private readonly context: AudioContext,
    private readonly destination: AudioNode,
    private readonly onActiveChange: (active: boolean) => void,
  ) {}

  /** Queues a chunk; in synced mode `notBefore` (context seconds) holds its segment back. */
  enqueue(event: AudioEvent, notBefore = 0): void {
    const item = { segment: event.segment, chunk: event.chunk };
    // A replayed or late chunk for a position already played would be heard out of order.
    if (this.last && !before(this.last, item)) return;
    const queued: QueuedChunk = { ...item, buffer: decodeAudioEvent(this.context, event), notBefore };
    const at = this.pending.findIndex((p) => before(queued, p));
    this.pending.splice(at === -1 ? this.pending.length : at, 0, queued);
    this.pump();
  }

  stop(): void {
    this.pending.length = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const source of this.playing) {
      source.onended = null;
      source.stop();
    }
    this.playing.clear();
    this.setActive(false);
  }

  private pump(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const now = this.context.currentTime;
    const startOf = (next: QueuedChunk) => Math.max(now, this.scheduledUntil, next.notBefore);
    while (this.pending.length > 0 && startOf(this.pending[0]!) - now <= SCHEDULE_AHEAD_SECONDS) {
      const next = this.pending.shift()!;
      const source = this.context.createBufferSource();
      source.buffer = next.buffer;
      source.connect(this.destination);
      const startAt = startOf(next);
      source.start(startAt);
      this.scheduledUntil = startAt + next.buffer.duration;
      this.last = { segment: next.segment, chunk: next.chunk };
      this.playing.add(source);
      source.onended = () => {
        this.playing.delete(source);
        source.disconnect();
        this.pump();
      };
      this.setActive(true);
    }
    if (this.pending.length > 0) {
      const waitMs = (startOf(this.pending[0]!) - SCHEDULE_AHEAD_SECONDS - now) * 1000;
      this.timer = setTimeout(() => this.pump(), Math.max(0, waitMs));
    } else if (this.playing.size === 0) {
      this.setActive(false);
    }
  }

  private setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    this.onActiveChange(active);
  }
}
