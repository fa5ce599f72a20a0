// Runs the real capture graph (AudioWorklet, resampler, framer) in the browser on
// a generated tone, and hands what came out to the test.
import { startCapture } from "../../lib/capture-graph";

export interface CaptureResult {
  contextRate: number;
  frameBytes: number[];
  /** When each frame arrived, ms after the tone started. */
  arrivalMs: number[];
  /** All frames' s16le samples, decoded. */
  samples: number[];
}

declare global {
  interface Window {
    captureTone(hz: number, seconds: number, contextRate: number): Promise<CaptureResult>;
  }
}

window.captureTone = async (hz, seconds, contextRate) => {
  const context = new AudioContext({ sampleRate: contextRate });
  const tone = new OscillatorNode(context, { frequency: hz });
  const level = new GainNode(context, { gain: 0.5 });
  tone.connect(level);
  const result: CaptureResult = { contextRate: context.sampleRate, frameBytes: [], arrivalMs: [], samples: [] };
  let startedAt = 0;
  const graph = await startCapture(context, level, {
    outputRate: 16000,
    frameMs: 100,
    monitor: false,
    onFrame(frame) {
      result.frameBytes.push(frame.byteLength);
      result.arrivalMs.push(performance.now() - startedAt);
      const view = new DataView(frame);
      for (let i = 0; i < frame.byteLength; i += 2) result.samples.push(view.getInt16(i, true) / 0x8000);
    },
  });
  await context.resume();
  startedAt = performance.now();
  tone.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  tone.stop();
  await graph.flush();
  graph.disconnect();
  await context.close();
  return result;
};
