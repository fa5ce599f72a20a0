// AudioWorklet processor: mono mix -> resample to the wire rate -> fixed s16le
// frames, posted (transferred) to the main thread. Runs on the audio thread so
// capture keeps pace whatever the page's main thread is doing.
import {
  CAPTURE_PROCESSOR,
  type CaptureFlush,
  type CaptureOutput,
  type CaptureProcessorOptions,
} from "./capture-protocol";
import { PcmFramer, samplesPerFrame } from "./framer";
import { mixToMono } from "./pcm";
import { StreamingResampler } from "./resampler";

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly resampler: StreamingResampler;
  private readonly framer: PcmFramer;

  constructor(options: AudioWorkletNodeOptions) {
    super(options);
    const { inputRate, outputRate, frameMs } = options.processorOptions as CaptureProcessorOptions;
    this.resampler = new StreamingResampler(inputRate, outputRate);
    this.framer = new PcmFramer(samplesPerFrame(outputRate, frameMs));
    this.port.onmessage = (message: MessageEvent<CaptureFlush>) => {
      if (message.data.type === "flush") this.flush();
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    if (channels && channels.length > 0) {
      this.post(this.framer.push(this.resampler.process(mixToMono(channels))));
    }
    return true;
  }

  private flush(): void {
    this.post(this.framer.push(this.resampler.flush()));
    const last = this.framer.flush();
    if (last) this.post([last]);
    this.port.postMessage({ type: "flushed" } satisfies CaptureOutput);
  }

  private post(frames: ArrayBuffer[]): void {
    for (const frame of frames) this.port.postMessage(frame, [frame]);
  }
}

registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
