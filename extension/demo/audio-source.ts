// The demo's audio sources: a video file (shown on the stage), an audio file
// (decoded with Web Audio) or the microphone. Each plays in real time, so the
// capture worklet paces the frames exactly as it does for a live tab.
import { element } from "../lib/dom";

export interface DemoSource {
  node: AudioNode;
  /** Play it to the speakers too (not the microphone: it would echo). */
  monitor: boolean;
  begin(): Promise<void>;
  /** Resolves when a file has played to its end. */
  ended: Promise<void>;
  release(): void;
}

export async function fileSource(context: AudioContext, file: File, stage: HTMLElement): Promise<DemoSource> {
  if (file.type.startsWith("video/")) {
    const url = URL.createObjectURL(file);
    // A media element feeds one MediaElementAudioSourceNode for life: a fresh one per run.
    const video = element("video", { src: url, controls: true, playsInline: true });
    stage.prepend(video);
    const ended = new Promise<void>((resolve) => video.addEventListener("ended", () => resolve(), { once: true }));
    return {
      node: context.createMediaElementSource(video),
      monitor: true,
      begin: () => video.play(),
      ended,
      release() {
        video.pause();
        video.remove();
        URL.revokeObjectURL(url);
      },
    };
  }
  const buffer = await context.decodeAudioData(await file.arrayBuffer());
  const node = context.createBufferSource();
  node.buffer = buffer;
  const ended = new Promise<void>((resolve) => node.addEventListener("ended", () => resolve(), { once: true }));
  return {
    node,
    monitor: true,
    begin: async () => node.start(),
    ended,
    release: () => node.disconnect(),
  };
}

export async function microphoneSource(context: AudioContext): Promise<DemoSource> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
  });
  return {
    node: context.createMediaStreamSource(stream),
    monitor: false,
    begin: async () => undefined,
    ended: new Promise<void>(() => undefined),
    release() {
      for (const track of stream.getTracks()) track.stop();
    },
  };
}
