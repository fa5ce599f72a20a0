// Cuts a float sample stream into fixed-size s16le frames (100 ms at 16 kHz mono
// = 1600 samples = 3200 bytes), the unit the WebSocket carries.
import { floatToInt16 } from "./pcm";

export const BYTES_PER_SAMPLE = 2;

export function samplesPerFrame(sampleRate: number, frameMs: number): number {
  const samples = (sampleRate * frameMs) / 1000;
  if (!Number.isInteger(samples) || samples <= 0) {
    throw new RangeError(`${frameMs} ms at ${sampleRate} Hz is not a whole number of samples`);
  }
  return samples;
}

export class PcmFramer {
  private frame: DataView<ArrayBuffer>;
  private filled = 0;

  constructor(readonly frameSamples: number) {
    this.frame = this.newFrame();
  }

  get frameBytes(): number {
    return this.frameSamples * BYTES_PER_SAMPLE;
  }

  /** Adds samples; returns every frame they completed (each exactly frameBytes long). */
  push(samples: Float32Array): ArrayBuffer[] {
    const done: ArrayBuffer[] = [];
    for (let i = 0; i < samples.length; i++) {
      this.frame.setInt16(this.filled * BYTES_PER_SAMPLE, floatToInt16(samples[i]!), true);
      if (++this.filled === this.frameSamples) done.push(this.take());
    }
    return done;
  }

  /** The last partial frame padded with silence, or null if nothing is pending. */
  flush(): ArrayBuffer | null {
    return this.filled === 0 ? null : this.take();
  }

  private take(): ArrayBuffer {
    const full = this.frame.buffer;
    this.frame = this.newFrame();
    this.filled = 0;
    return full;
  }

  private newFrame(): DataView<ArrayBuffer> {
    return new DataView(new ArrayBuffer(this.frameSamples * BYTES_PER_SAMPLE));
  }
}
