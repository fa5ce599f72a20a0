import { describe, expect, it } from "vitest";
import { PcmFramer, samplesPerFrame } from "./framer";
import { StreamingResampler } from "./resampler";
import { frequency, rms, sine } from "../test-support/signal";

function resampleInChunks(resampler: StreamingResampler, input: Float32Array, chunkSizes: number[]): Float32Array {
  const parts: Float32Array[] = [];
  for (let at = 0, i = 0; at < input.length; i++) {
    const size = chunkSizes[i % chunkSizes.length]!;
    parts.push(resampler.process(input.subarray(at, at + size)));
    at += size;
  }
  parts.push(resampler.flush());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Skip the filter's start-up and tail, where the input's edges are. */
const steady = (samples: Float32Array) => samples.subarray(800, samples.length - 800);

describe("StreamingResampler", () => {
  it.each([48_000, 44_100])("keeps a 1 kHz sine's frequency and amplitude going %i Hz -> 16 kHz", (rate) => {
    const out = resampleInChunks(new StreamingResampler(rate, 16_000), sine(rate, 1000, 0.5, 1), [128]);
    expect(out.length).toBe(16_000);
    expect(frequency(steady(out), 16_000)).toBeCloseTo(1000, 0);
    expect(rms(steady(out)) * Math.SQRT2).toBeCloseTo(0.5, 2);
  });

  it("keeps phase: the output matches the ideal 16 kHz sine sample by sample", () => {
    const out = resampleInChunks(new StreamingResampler(48_000, 16_000), sine(48_000, 440, 0.8, 0.5), [128]);
    const ideal = sine(16_000, 440, 0.8, 0.5);
    let worst = 0;
    for (let i = 800; i < out.length - 800; i++) worst = Math.max(worst, Math.abs(out[i]! - ideal[i]!));
    expect(worst).toBeLessThan(0.005);
  });

  it("filters out what 16 kHz cannot represent instead of aliasing it", () => {
    // A 12 kHz tone would fold to 4 kHz with naive decimation.
    const out = resampleInChunks(new StreamingResampler(48_000, 16_000), sine(48_000, 12_000, 0.5, 0.5), [128]);
    expect(rms(steady(out))).toBeLessThan(0.5 * 0.001);
  });

  it("gives the same samples however the stream is chunked", () => {
    const input = sine(44_100, 733, 0.7, 0.3);
    const whole = resampleInChunks(new StreamingResampler(44_100, 16_000), input, [input.length]);
    const ragged = resampleInChunks(new StreamingResampler(44_100, 16_000), input, [1, 127, 3, 512, 64]);
    expect(ragged.length).toBe(whole.length);
    for (let i = 0; i < whole.length; i++) expect(ragged[i]).toBeCloseTo(whole[i]!, 6);
  });

  it("passes audio through unchanged when the rates match", () => {
    const input = sine(16_000, 300, 0.3, 0.1);
    expect(new StreamingResampler(16_000, 16_000).process(input)).toEqual(input);
  });
});

describe("PcmFramer", () => {
  it("makes 100 ms frames of exactly 3200 bytes at 16 kHz", () => {
    expect(samplesPerFrame(16_000, 100)).toBe(1600);
    const framer = new PcmFramer(samplesPerFrame(16_000, 100));
    const frames = [...framer.push(new Float32Array(1000)), ...framer.push(new Float32Array(2500))];
    expect(frames.map((f) => f.byteLength)).toEqual([3200, 3200]);
    const last = framer.flush();
    expect(last?.byteLength).toBe(3200);
    expect(framer.flush()).toBeNull();
  });

  it("writes little-endian signed 16-bit samples and clips out-of-range input", () => {
    const framer = new PcmFramer(6);
    const [frame] = framer.push(Float32Array.from([0.5, -0.5, 1.5, -2, 1, -1]));
    const view = new DataView(frame!);
    expect([...new Uint8Array(frame!, 0, 2)]).toEqual([0x00, 0x40]);
    expect([0, 1, 2, 3, 4, 5].map((i) => view.getInt16(i * 2, true))).toEqual([
      16384, -16384, 32767, -32768, 32767, -32768,
    ]);
  });

  it("pads the last partial frame with silence", () => {
    const framer = new PcmFramer(4);
    framer.push(Float32Array.from([0.25]));
    const view = new DataView(framer.flush()!);
    expect([0, 1, 2, 3].map((i) => view.getInt16(i * 2, true))).toEqual([8192, 0, 0, 0]);
  });

  it("turns one second of 48 kHz capture into ten wire frames", () => {
    const resampler = new StreamingResampler(48_000, 16_000);
    const framer = new PcmFramer(samplesPerFrame(16_000, 100));
    const input = sine(48_000, 1000, 0.9, 1);
    const frames: ArrayBuffer[] = [];
    for (let at = 0; at < input.length; at += 128) frames.push(...framer.push(resampler.process(input.subarray(at, at + 128))));
    frames.push(...framer.push(resampler.flush()));
    const last = framer.flush();
    if (last) frames.push(last);
    expect(frames).toHaveLength(10);
    expect(frames.every((f) => f.byteLength === 3200)).toBe(true);
  });

  it("rejects frame lengths that are not whole samples", () => {
    expect(() => samplesPerFrame(44_100, 10.01)).toThrow(RangeError);
  });
});
