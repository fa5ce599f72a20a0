// Streaming band-limited resampler (windowed-sinc interpolation, Kaiser window,
// table-driven polyphase lookup). Any ratio: 48 kHz and 44.1 kHz capture rates
// both go to 16 kHz without aliasing, chunk by chunk, with no seams between chunks.

export interface ResamplerOptions {
  /** Sinc zero crossings each side of the centre: longer filter, sharper cut-off. */
  zeroCrossings?: number;
  /** Pass band as a fraction of the lower Nyquist frequency. */
  rolloff?: number;
  /** Kaiser window shape: higher gives more stop-band attenuation. */
  kaiserBeta?: number;
  /** Filter table points per input sample (linear interpolation between them). */
  tableResolution?: number;
}

/** Zeroth-order modified Bessel function of the first kind, for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 50 && term > sum * 1e-12; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
  }
  return sum;
}

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

export class StreamingResampler {
  /** Input samples per output sample. */
  readonly ratio: number;
  private readonly halfWidth: number;
  private readonly resolution: number;
  private readonly table: Float32Array;
  private readonly passthrough: boolean;
  private pending = new Float32Array(1024);
  private pendingLength = 0;
  /** Absolute input index of pending[0]. */
  private pendingStart = 0;
  private nextOutput = 0;

  constructor(
    readonly inputRate: number,
    readonly outputRate: number,
    options: ResamplerOptions = {},
  ) {
    if (!(inputRate > 0 && outputRate > 0)) throw new RangeError("sample rates must be positive");
    const { zeroCrossings = 16, rolloff = 0.92, kaiserBeta = 8.6, tableResolution = 256 } = options;
    this.ratio = inputRate / outputRate;
    this.passthrough = inputRate === outputRate;
    // Cut-off in cycles per input sample x2: below the output Nyquist when downsampling.
    const cutoff = Math.min(1, outputRate / inputRate) * rolloff;
    this.halfWidth = zeroCrossings / cutoff;
    this.resolution = tableResolution;
    const points = Math.ceil(this.halfWidth * tableResolution) + 2;
    this.table = new Float32Array(points);
    const windowNorm = besselI0(kaiserBeta);
    for (let i = 0; i < points; i++) {
      const t = i / tableResolution;
      const r = t / this.halfWidth;
      const window = r >= 1 ? 0 : besselI0(kaiserBeta * Math.sqrt(1 - r * r)) / windowNorm;
      this.table[i] = cutoff * sinc(cutoff * t) * window;
    }
  }

  /** Resamples the next chunk of a continuous stream. */
  process(input: Float32Array): Float32Array {
    if (this.passthrough) return input.slice();
    this.append(input);
    return this.drain(this.pendingStart + this.pendingLength);
  }

  /** Emits the tail still held for look-ahead, as if the stream were followed by silence. */
  flush(): Float32Array {
    if (this.passthrough) return new Float32Array(0);
    const end = this.pendingStart + this.pendingLength;
    this.append(new Float32Array(Math.ceil(this.halfWidth) + 1));
    const out = this.drain(this.pendingStart + this.pendingLength, end);
    this.reset();
    return out;
  }

  reset(): void {
    this.pendingLength = 0;
    this.pendingStart = 0;
    this.nextOutput = 0;
  }

  private append(input: Float32Array): void {
    const needed = this.pendingLength + input.length;
    if (needed > this.pending.length) {
      const grown = new Float32Array(Math.max(needed, this.pending.length * 2));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(input, this.pendingLength);
    this.pendingLength = needed;
  }

  /**
   * Computes every output sample whose filter window lies before `available`
   * (absolute input index), stopping at input position `stopAt` when flushing.
   */
  private drain(available: number, stopAt = Number.POSITIVE_INFINITY): Float32Array {
    const out: number[] = [];
    for (;;) {
      const centre = this.nextOutput * this.ratio;
      if (centre >= stopAt || centre + this.halfWidth >= available) break;
      out.push(this.sampleAt(centre));
      this.nextOutput++;
    }
    this.discardBefore(Math.floor(this.nextOutput * this.ratio - this.halfWidth));
    return Float32Array.from(out);
  }

  private sampleAt(centre: number): number {
    const first = Math.max(Math.ceil(centre - this.halfWidth), this.pendingStart);
    const last = Math.floor(centre + this.halfWidth);
    const table = this.table;
    let acc = 0;
    for (let i = first; i <= last; i++) {
      const position = Math.abs(centre - i) * this.resolution;
      const index = Math.floor(position);
      const frac = position - index;
      const tap = table[index]! + (table[index + 1]! - table[index]!) * frac;
      acc += this.pending[i - this.pendingStart]! * tap;
    }
    return acc;
  }

  private discardBefore(absoluteIndex: number): void {
    const drop = Math.min(absoluteIndex - this.pendingStart, this.pendingLength);
    if (drop <= 0) return;
    this.pending.copyWithin(0, drop, this.pendingLength);
    this.pendingLength -= drop;
    this.pendingStart += drop;
  }
}
