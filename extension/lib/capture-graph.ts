// Wires a source (tab capture, a decoded file, the microphone) into the capture
// worklet, and optionally on to the speakers through a gain the ducker lowers.
import workletUrl from "./capture-worklet.ts?worker&url";
import { CAPTURE_PROCESSOR, type CaptureOutput, type CaptureProcessorOptions } from "./capture-protocol";

const FLUSH_TIMEOUT_MS = 1000;

export interface CaptureOptions {
  outputRate: number;
  frameMs: number;
  /** Play the source to the speakers (tab capture mutes the tab; a microphone must not echo). */
  monitor: boolean;
  onFrame: (frame: ArrayBuffer) => void;
}

/** The longest the monitored original can be held back (synced mode), seconds. */
const MAX_MONITOR_DELAY_SECONDS = 10;

export interface CaptureGraph {
  /** Gain on the original audio the user hears (null when not monitored). */
  readonly monitorGain: GainNode | null;
  /** Holds the original the user hears back (synced mode); the capture is never delayed. */
  readonly monitorDelay: DelayNode | null;
  /** Sends the final partial frame; resolves once it has been delivered. */
  flush(): Promise<void>;
  disconnect(): void;
}

export async function startCapture(
  context: AudioContext,
  source: AudioNode,
  options: CaptureOptions,
): Promise<CaptureGraph> {
  await context.audioWorklet.addModule(workletUrl);
  const processorOptions: CaptureProcessorOptions = {
    inputRate: context.sampleRate,
    outputRate: options.outputRate,
    frameMs: options.frameMs,
  };
  // No outputs: Chrome still pulls the node, and nothing of it reaches the speakers.
  const worklet = new AudioWorkletNode(context, CAPTURE_PROCESSOR, {
    numberOfInputs: 1,
    numberOfOutputs: 0,
    processorOptions,
  });
  let flushed: (() => void) | null = null;
  worklet.port.onmessage = (message: MessageEvent<CaptureOutput>) => {
    const data = message.data;
    if (data instanceof ArrayBuffer) options.onFrame(data);
    else if (data.type === "flushed") flushed?.();
  };
  source.connect(worklet);

  let monitorGain: GainNode | null = null;
  let monitorDelay: DelayNode | null = null;
  if (options.monitor) {
    monitorGain = context.createGain();
    monitorDelay = context.createDelay(MAX_MONITOR_DELAY_SECONDS);
    source.connect(monitorDelay).connect(monitorGain).connect(context.destination);
  }

  return {
    monitorGain,
    monitorDelay,
    flush: () =>
      new Promise<void>((resolve) => {
        // A suspended or closing context never answers: do not hold up the stop.
        const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
        flushed = () => {
          clearTimeout(timer);
          resolve();
        };
        worklet.port.postMessage({ type: "flush" });
      }),
    disconnect() {
      source.disconnect();
      monitorDelay?.disconnect();
      monitorGain?.disconnect();
      worklet.port.onmessage = null;
    },
  };
}
