// When the stream's audio was heard: the server times segments in audio ms since
// the stream's first frame (frames it received, counted across reconnects), and
// this maps such a time back to the wall clock at which the tab played it.

/** Marks older than this much audio are forgotten (longer than any segment and its delay). */
const KEEP_AUDIO_MS = 120_000;

interface Mark {
  /** Audio ms sent before this frame. */
  audioStartMs: number;
  /** Audio ms sent up to the end of this frame. */
  audioEndMs: number;
  /** When the frame's last sample was played (epoch ms): the worklet hands a frame over then. */
  wallMs: number;
}

export class CaptureClock {
  private readonly marks: Mark[] = [];
  private sentMs = 0;

  /** A frame of `frameMs` went to the server, its last sample played at `wallMs`. */
  frameSent(frameMs: number, wallMs: number): void {
    this.marks.push({ audioStartMs: this.sentMs, audioEndMs: this.sentMs + frameMs, wallMs });
    this.sentMs += frameMs;
    while (this.marks.length > 1 && this.marks[0]!.audioEndMs < this.sentMs - KEEP_AUDIO_MS) this.marks.shift();
  }

  /** When stream time `audioMs` was played (epoch ms), or null when no frame sent covers it. */
  wallAt(audioMs: number): number | null {
    // Frames are few per second: a binary search would save nothing worth its code.
    const mark = this.marks.find((m) => m.audioStartMs <= audioMs && audioMs <= m.audioEndMs);
    return mark ? mark.wallMs - (mark.audioEndMs - audioMs) : null;
  }
}
