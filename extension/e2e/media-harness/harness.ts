// Runs the extension's real media code in the browser and hands measurements to the
// test: the ducker under the dub player (the original's level around a dub), and
// synced mode's held-back picture over a <video> (how far behind it shows).
import { DubPlayer } from "../../lib/dub-player";
import { Ducker } from "../../lib/ducker";
import { PictureDelay } from "../../lib/picture-delay";
import type { AudioEvent } from "../../types/api";
import { drawFrameNumber, type FrameLayout, readFrameNumber } from "../frame-code";

export interface LevelSample {
  /** Seconds from the dub's start (negative: before it). */
  at: number;
  /** RMS of the original as the viewer hears it. */
  rms: number;
}

export interface DuckingResult {
  dubSeconds: number;
  samples: LevelSample[];
}

declare global {
  interface Window {
    duckUnderDub(duckLevel: number, dubSeconds: number): Promise<DuckingResult>;
    holdPicture(delayMs: number, samples: number): Promise<number[]>;
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function toneChunk(seconds: number, rate: number): AudioEvent {
  const samples = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(0.3 * 0x7fff * Math.sin((2 * Math.PI * 1000 * i) / rate));
  const bytes = new Uint8Array(samples.buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return {
    type: "audio",
    id: "harness:0:audio:0",
    session_id: "harness",
    segment: 0,
    chunk: 0,
    last_chunk: true,
    data: btoa(binary),
    format: { encoding: "pcm_s16le", sample_rate: rate, channels: 1 },
  };
}

window.duckUnderDub = async (duckLevel, dubSeconds) => {
  const context = new AudioContext();
  await context.resume();
  // The original (a 440 Hz tone) through the monitor gain the ducker moves, measured after it.
  const original = new OscillatorNode(context, { frequency: 440 });
  const monitor = new GainNode(context);
  const meter = new AnalyserNode(context, { fftSize: 2048 });
  original.connect(monitor).connect(meter).connect(context.destination);
  original.start();
  const ducker = new Ducker(context, monitor, duckLevel);
  const player = new DubPlayer(context, context.destination, (active) => (active ? ducker.duck() : ducker.restore()));
  const buffer = new Float32Array(meter.fftSize);
  const samples: LevelSample[] = [];
  let dubStart = Number.NaN;
  const measureUntil = async (until: number) => {
    while (context.currentTime < until) {
      meter.getFloatTimeDomainData(buffer);
      const rms = Math.sqrt(buffer.reduce((sum, x) => sum + x * x, 0) / buffer.length);
      samples.push({ at: context.currentTime, rms });
      await wait(20);
    }
  };
  await measureUntil(context.currentTime + 0.6);
  dubStart = context.currentTime;
  player.enqueue(toneChunk(dubSeconds, context.sampleRate));
  await measureUntil(dubStart + dubSeconds + 1.5);
  player.stop();
  await context.close();
  return { dubSeconds, samples: samples.map((s) => ({ at: s.at - dubStart, rms: s.rms })) };
};

window.holdPicture = async (delayMs, count) => {
  // A <video> showing a live picture that numbers its frames (a canvas's stream at 25 fps).
  const layout: FrameLayout = { width: 320, height: 180, bits: 12 };
  const source = Object.assign(document.createElement("canvas"), { width: layout.width, height: layout.height });
  const drawing = source.getContext("2d")!;
  let frame = 0;
  drawFrameNumber(drawing, frame, layout);
  const ticker = setInterval(() => drawFrameNumber(drawing, ++frame, layout), 40);
  const video = Object.assign(document.createElement("video"), { muted: true, autoplay: true, width: 640, height: 360 });
  video.srcObject = source.captureStream(25);
  document.body.append(video);
  await video.play();
  while (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) await wait(20);

  const picture = new PictureDelay(video, document.body, delayMs);
  await wait(delayMs + 1000);
  // What the video shows now, and what the held-back picture shows, read the same way.
  const live = Object.assign(document.createElement("canvas"), { width: layout.width, height: layout.height });
  const held = picture.host.shadowRoot!.querySelector("canvas")!;
  const behindMs: number[] = [];
  for (let i = 0; i < count; i++) {
    live.getContext("2d")!.drawImage(video, 0, 0, layout.width, layout.height);
    behindMs.push((readFrameNumber(live, layout) - readFrameNumber(held, layout)) * 40);
    await wait(170);
  }
  picture.destroy();
  clearInterval(ticker);
  video.remove();
  return behindMs;
};
