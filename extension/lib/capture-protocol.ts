// What the capture worklet and the main thread say to each other.

export const CAPTURE_PROCESSOR = "livedub-capture";

export interface CaptureProcessorOptions {
  inputRate: number;
  outputRate: number;
  frameMs: number;
}

/** Main thread -> processor: emit the last partial frame, then report "flushed". */
export interface CaptureFlush {
  type: "flush";
}

/** Processor -> main thread: a frame (transferred), or the end of a flush. */
export type CaptureOutput = ArrayBuffer | { type: "flushed" };
