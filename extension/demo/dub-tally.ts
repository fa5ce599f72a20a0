// What dubbed speech has arrived in this run: the demo page shows it, so a
// viewer (and the e2e test) can tell dubbing works even with the speakers off.
import { base64ByteLength } from "../lib/pcm";
import type { AudioEvent } from "../types/api";

const BYTES_PER_SAMPLE = 2; // pcm_s16le

export interface DubbedSegment {
  chunks: number;
  seconds: number;
}

export class DubTally {
  private readonly open = new Map<number, DubbedSegment>();
  private segments = 0;
  private chunks = 0;
  private seconds = 0;

  /** Counts a chunk; returns its segment's totals when this was the segment's last chunk. */
  add(event: AudioEvent): DubbedSegment | null {
    const { sample_rate: rate, channels } = event.format;
    const seconds = base64ByteLength(event.data) / (BYTES_PER_SAMPLE * Math.max(1, channels) * rate);
    const segment = this.open.get(event.segment) ?? { chunks: 0, seconds: 0 };
    segment.chunks++;
    segment.seconds += seconds;
    this.chunks++;
    this.seconds += seconds;
    if (!event.last_chunk) {
      this.open.set(event.segment, segment);
      return null;
    }
    this.open.delete(event.segment);
    this.segments++;
    return segment;
  }

  describe(): string {
    if (this.chunks === 0) return "No dubbed speech yet.";
    return `Dubbed speech: ${this.segments} segments, ${this.seconds.toFixed(1)} s in ${this.chunks} chunks.`;
  }
}
