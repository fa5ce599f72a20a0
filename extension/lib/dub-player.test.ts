import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AudioEvent } from "../types/api";
import { DubPlayer } from "./dub-player";

/** Just enough of an AudioContext to watch what gets scheduled when. */
class FakeContext {
  currentTime = 0;
  readonly started: { label: string; at: number; source: FakeSource }[] = [];

  createBuffer(channels: number, length: number, sampleRate: number) {
    const data = Array.from({ length: channels }, () => new Float32Array(length));
    return { duration: length / sampleRate, sampleRate, getChannelData: (c: number) => data[c]! };
  }

  createBufferSource() {
    return new FakeSource(this);
  }
}

class FakeSource {
  buffer: { duration: number; sampleRate: number; getChannelData(c: number): Float32Array } | null = null;
  onended: (() => void) | null = null;
  constructor(private readonly context: FakeContext) {}
  connect() {}
  disconnect() {}
  stop() {}
  start(at: number) {
    const first = this.buffer!.getChannelData(0)[0]!;
    this.context.started.push({ label: first.toFixed(3), at, source: this });
  }
}

/** A chunk whose first sample encodes (segment, chunk), so the test can tell them apart. */
function chunk(segment: number, index: number, seconds: number, last = false): AudioEvent {
  const rate = 16000;
  const bytes = new Uint8Array(Math.round(seconds * rate) * 2);
  new DataView(bytes.buffer).setInt16(0, Math.round((segment * 10 + index) * 0.001 * 0x8000), true);
  return {
    type: "audio",
    id: `s:${segment}:audio:${index}`,
    session_id: "s",
    segment,
    chunk: index,
    last_chunk: last,
    data: btoa(String.fromCharCode(...bytes)),
    format: { encoding: "pcm_s16le", sample_rate: rate, channels: 1 },
  };
}
const label = (segment: number, index: number) => ((segment * 10 + index) * 0.001).toFixed(3);

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("DubPlayer", () => {
  function setup() {
    const context = new FakeContext();
    const activity: boolean[] = [];
    const player = new DubPlayer(context as unknown as AudioContext, {} as AudioNode, (a) => activity.push(a));
    return { context, player, activity };
  }

  it("plays chunks back to back at the sample rate each event states", () => {
    const { context, player, activity } = setup();
    player.enqueue(chunk(1, 0, 0.5));
    player.enqueue({ ...chunk(1, 1, 0.25), format: { encoding: "pcm_s16le", sample_rate: 8000, channels: 1 } });
    // The next chunk is scheduled shortly before the current one ends, not earlier.
    expect(context.started).toHaveLength(1);
    context.currentTime = 0.25;
    vi.advanceTimersByTime(250);
    expect(context.started.map((s) => s.at)).toEqual([0, 0.5]);
    expect(context.started[1]?.source.buffer?.sampleRate).toBe(8000);
    expect(activity).toEqual([true]);
  });

  it("puts chunks that arrive out of order back in (segment, chunk) order", () => {
    const { context, player } = setup();
    player.enqueue(chunk(1, 0, 1));
    player.enqueue(chunk(2, 0, 1));
    player.enqueue(chunk(1, 2, 1));
    player.enqueue(chunk(1, 1, 1));
    for (let t = 0; t < 4; t++) {
      context.currentTime = t;
      vi.advanceTimersByTime(1000);
    }
    expect(context.started.map((s) => s.label)).toEqual([label(1, 0), label(1, 1), label(1, 2), label(2, 0)]);
    expect(context.started.map((s) => s.at)).toEqual([0, 1, 2, 3]);
  });

  it("drops a chunk for a place already played, and goes idle when the queue drains", () => {
    const { context, player, activity } = setup();
    player.enqueue(chunk(3, 0, 0.2, true));
    player.enqueue(chunk(2, 5, 0.2));
    expect(context.started.map((s) => s.label)).toEqual([label(3, 0)]);
    context.currentTime = 0.2;
    context.started[0]!.source.onended?.();
    expect(activity).toEqual([true, false]);
  });

  it("synced: holds a segment until its moment, then plays its chunks gap-free", () => {
    const { context, player, activity } = setup();
    player.enqueue(chunk(4, 0, 0.5), 2.0);
    player.enqueue(chunk(4, 1, 0.5), 2.0);
    expect(context.started).toHaveLength(0);
    expect(activity).toEqual([]); // nothing plays yet: the original is not ducked early
    context.currentTime = 1.75;
    vi.advanceTimersByTime(1750);
    expect(context.started.map((s) => s.at)).toEqual([2.0]);
    context.currentTime = 2.3;
    vi.advanceTimersByTime(600);
    expect(context.started.map((s) => [s.label, s.at])).toEqual([
      [label(4, 0), 2.0],
      [label(4, 1), 2.5],
    ]);
  });

  it("synced: a segment whose moment has passed plays at once", () => {
    const { context, player } = setup();
    context.currentTime = 5;
    player.enqueue(chunk(7, 0, 0.5), 3.0);
    expect(context.started.map((s) => s.at)).toEqual([5]);
  });
});
