// PCM conversions between Web Audio's float samples and the wire's s16le.

/** Float [-1, 1] to signed 16-bit, clipping anything outside the range. */
export function floatToInt16(sample: number): number {
  const clipped = sample >= 1 ? 1 : sample <= -1 ? -1 : sample;
  return Math.round(clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff);
}

/** Little-endian 16-bit samples to floats in [-1, 1). */
export function s16leToFloat(bytes: Uint8Array): Float32Array<ArrayBuffer> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true) / 0x8000;
  return out;
}

export function base64ToBytes(data: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
}

/** How many bytes padded base64 encodes, without decoding it. */
export function base64ByteLength(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

/** Averages channels to mono (tab audio and files are usually stereo). */
export function mixToMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (!first) return new Float32Array(0);
  if (channels.length === 1) return first;
  const out = new Float32Array(first.length);
  for (const channel of channels) {
    for (let i = 0; i < out.length; i++) out[i]! += channel[i] ?? 0;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= channels.length;
  return out;
}
