// Synced mode's held-back picture: the page's <video> keeps playing (its sound is
// what the extension captures, so the pipeline hears it live), while a canvas laid
// exactly over it shows each frame `delayMs` after the video presented it. Frames
// are kept as bitmaps the size the video is shown at (at most MAX_WIDTH wide), for
// the delay and no longer.
//
// Why not play a live HLS stream behind its live edge instead: the tab's sound
// would be held back with it, and the pipeline, which hears the tab, would answer
// that much later again. The delay has to sit between what is heard and what is
// seen, so the picture is delayed here and the sound in the offscreen document.
import { MAX_SYNC_DELAY_MS } from "./sync-delay";

/** Frames are kept at most this wide (memory: width x height x 4 bytes per frame). */
const MAX_WIDTH = 640;

const STYLE = `
:host { all: initial; }
canvas { position: fixed; pointer-events: none; z-index: 2147483646; background: #000; }
`;

interface HeldFrame {
  bitmap: ImageBitmap;
  /** When the video presented it (performance.now() ms). */
  shownAtMs: number;
  mediaTime: number;
}

/** The page's main video: the largest one on screen that has a picture. */
export function mainVideo(root: Document): HTMLVideoElement | null {
  let best: HTMLVideoElement | null = null;
  let bestArea = 0;
  for (const video of root.querySelectorAll("video")) {
    const box = video.getBoundingClientRect();
    const area = box.width * box.height;
    if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && area > bestArea) {
      best = video;
      bestArea = area;
    }
  }
  return best;
}

export class PictureDelay {
  readonly host: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly drawing: CanvasRenderingContext2D;
  private frames: HeldFrame[] = [];
  private shown: HeldFrame | null = null;
  private frameRequest: number | null = null;
  private animation: number | null = null;
  private stopped = false;

  constructor(
    readonly video: HTMLVideoElement,
    parent: HTMLElement,
    private delayMs: number,
  ) {
    this.host = document.createElement("livedub-picture");
    const root = this.host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    this.canvas = document.createElement("canvas");
    const drawing = this.canvas.getContext("2d");
    if (!drawing) throw new Error("no 2D canvas");
    this.drawing = drawing;
    root.append(style, this.canvas);
    parent.append(this.host);
    this.host.dataset.delayMs = String(delayMs);
    this.requestFrame();
    this.animation = requestAnimationFrame(() => this.render());
  }

  setDelay(delayMs: number): void {
    this.delayMs = Math.min(MAX_SYNC_DELAY_MS, Math.max(0, delayMs));
    this.host.dataset.delayMs = String(this.delayMs);
  }

  attachTo(parent: HTMLElement): void {
    if (this.host.parentElement !== parent) parent.append(this.host);
  }

  destroy(): void {
    this.stopped = true;
    if (this.frameRequest !== null) this.video.cancelVideoFrameCallback(this.frameRequest);
    if (this.animation !== null) cancelAnimationFrame(this.animation);
    for (const frame of this.frames) frame.bitmap.close();
    this.frames = [];
    this.host.remove();
  }

  private requestFrame(): void {
    this.frameRequest = this.video.requestVideoFrameCallback((now, metadata) => {
      if (this.stopped) return;
      this.hold(now, metadata.mediaTime);
      this.requestFrame();
    });
  }

  private hold(shownAtMs: number, mediaTime: number): void {
    const box = this.video.getBoundingClientRect();
    const source = { width: this.video.videoWidth, height: this.video.videoHeight };
    if (!source.width || !source.height || !box.width) return;
    const scale = Math.min(1, MAX_WIDTH / source.width, (box.width * devicePixelRatio) / source.width);
    const size = { resizeWidth: Math.max(1, Math.round(source.width * scale)), resizeHeight: Math.max(1, Math.round(source.height * scale)) };
    // The bitmap is taken from the frame on screen now, when this callback runs.
    createImageBitmap(this.video, size).then(
      (bitmap) => {
        if (this.stopped) bitmap.close();
        else this.frames.push({ bitmap, shownAtMs, mediaTime });
      },
      () => undefined, // a frame that could not be read (a source switch): the next one will do
    );
  }

  private render(): void {
    if (this.stopped) return;
    this.animation = requestAnimationFrame(() => this.render());
    const due = performance.now() - this.delayMs;
    // The newest frame presented at least delayMs ago; before there is one, hold the oldest.
    let index = -1;
    for (let i = 0; i < this.frames.length && this.frames[i]!.shownAtMs <= due; i++) index = i;
    if (index === -1 && this.frames.length > 0 && this.shown === null) index = 0;
    if (index >= 0) {
      const frame = this.frames[index]!;
      for (const old of this.frames.splice(0, index)) old.bitmap.close();
      if (frame !== this.shown) {
        this.draw(frame);
        this.shown = frame;
      }
    }
    this.place();
  }

  private draw(frame: HeldFrame): void {
    const { bitmap } = frame;
    if (this.canvas.width !== bitmap.width || this.canvas.height !== bitmap.height) {
      this.canvas.width = bitmap.width;
      this.canvas.height = bitmap.height;
    }
    this.drawing.drawImage(bitmap, 0, 0);
    this.host.dataset.mediaTime = frame.mediaTime.toFixed(3);
  }

  /** Over the video's picture, letterboxed as the video letterboxes it (object-fit: contain). */
  private place(): void {
    const box = this.video.getBoundingClientRect();
    const { videoWidth, videoHeight } = this.video;
    const scale = videoWidth && videoHeight ? Math.min(box.width / videoWidth, box.height / videoHeight) : 0;
    const width = videoWidth * scale;
    const height = videoHeight * scale;
    const style = this.canvas.style;
    style.left = `${box.left + (box.width - width) / 2}px`;
    style.top = `${box.top + (box.height - height) / 2}px`;
    style.width = `${width}px`;
    style.height = `${height}px`;
    style.display = width > 0 && this.shown ? "block" : "none";
  }
}
