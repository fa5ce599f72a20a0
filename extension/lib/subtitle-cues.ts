// Which subtitle lines are on screen: one cue per segment holding its original
// transcript and its translation; a partial is replaced by later text for the
// same segment, and nothing replaces a final. A cue names its speaker once the
// session has had more than one (with one, the name would say nothing).
import type { TextEvent } from "../types/api";

const RTL_LANGUAGES: ReadonlySet<string> = new Set(["he", "iw", "yi", "ar", "fa", "ur", "ps"]);

export type TextDirection = "rtl" | "ltr";

/** Direction of a language tag ("he", "he-IL", "ar"...). */
export function textDirection(language: string): TextDirection {
  const primary = language.toLowerCase().split(/[-_]/)[0] ?? "";
  return RTL_LANGUAGES.has(primary) ? "rtl" : "ltr";
}

export interface CueLine {
  text: string;
  language: string;
  dir: TextDirection;
  final: boolean;
  untranslated: boolean;
}

export interface Cue {
  segment: number;
  original: CueLine | null;
  translation: CueLine | null;
  /** The session's speaker number, once a final says it. */
  speaker: number | null;
  updatedAtMs: number;
}

/** How a cue names speaker `speaker`. */
export function speakerName(speaker: number): string {
  return `Speaker ${speaker}`;
}

export interface CueListOptions {
  /** How many segments stay on screen at once (newest last). */
  maxCues: number;
  /** A cue leaves the screen this long after its last update. */
  lingerMs: number;
}

export class CueList {
  private readonly cues = new Map<number, Cue>();
  private readonly speakers = new Set<number>();

  constructor(private readonly options: CueListOptions) {}

  /** Applies a transcript or subtitle event; returns false when it changed nothing. */
  apply(event: TextEvent, nowMs: number): boolean {
    const cue = this.cues.get(event.segment) ?? {
      segment: event.segment,
      original: null,
      translation: null,
      speaker: null,
      updatedAtMs: nowMs,
    };
    const slot = event.type === "transcript" ? "original" : "translation";
    if (cue[slot]?.final) return false;
    cue[slot] = {
      text: event.data,
      language: event.language,
      dir: textDirection(event.language),
      final: event.final,
      untranslated: event.untranslated === true,
    };
    if (typeof event.speaker === "number") {
      cue.speaker = event.speaker;
      this.speakers.add(event.speaker);
    }
    cue.updatedAtMs = nowMs;
    this.cues.set(event.segment, cue);
    return true;
  }

  /** The name a cue shows for its speaker: none until the session has had two speakers. */
  speakerLabel(cue: Cue): string | null {
    return cue.speaker !== null && this.speakers.size > 1 ? speakerName(cue.speaker) : null;
  }

  /** The cues to show now, oldest first; expired and overflowing ones are forgotten. */
  visible(nowMs: number): Cue[] {
    for (const [segment, cue] of this.cues) {
      if (nowMs - cue.updatedAtMs >= this.options.lingerMs) this.cues.delete(segment);
    }
    const ordered = [...this.cues.values()].sort((a, b) => a.segment - b.segment);
    for (const stale of ordered.slice(0, Math.max(0, ordered.length - this.options.maxCues))) {
      this.cues.delete(stale.segment);
    }
    return ordered.slice(-this.options.maxCues);
  }

  /** When the next cue expires (ms from now), or null when nothing is shown. */
  nextExpiryMs(nowMs: number): number | null {
    let soonest: number | null = null;
    for (const cue of this.cues.values()) {
      const left = cue.updatedAtMs + this.options.lingerMs - nowMs;
      soonest = soonest === null ? left : Math.min(soonest, left);
    }
    return soonest === null ? null : Math.max(0, soonest);
  }

  clear(): void {
    this.cues.clear();
    this.speakers.clear();
  }
}
