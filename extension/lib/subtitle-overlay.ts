// Renders subtitle cues into a shadow root, so neither the page's CSS nor ours
// leaks across. Used by the content script (over the video site) and the demo.
import type { TextEvent } from "../types/api";
import { type CueLine, CueList } from "./subtitle-cues";

export interface OverlayOptions {
  /** Show the original transcript above the translation. */
  bilingual: boolean;
  /** "viewport": fixed at the bottom of the window; "container": over the host's parent. */
  placement: "viewport" | "container";
  maxCues?: number;
  lingerMs?: number;
}

const STYLE = `
:host { all: initial; }
.stage {
  position: var(--livedub-position); left: 0; right: 0; bottom: 6%;
  display: flex; flex-direction: column; align-items: center; gap: 0.4em;
  pointer-events: none; z-index: 2147483647;
  font: 600 clamp(16px, 2.4vw, 34px)/1.3 system-ui, "Segoe UI", Arial, sans-serif;
}
.cue { display: flex; flex-direction: column; align-items: center; gap: 0.15em; max-width: 86%; }
p {
  margin: 0; padding: 0.1em 0.5em; border-radius: 0.25em; text-align: center;
  color: #fff; background: rgba(0, 0, 0, 0.72); text-shadow: 0 1px 2px #000;
  unicode-bidi: plaintext;
}
p.original { font-size: 0.78em; font-weight: 500; color: #e8e8e8; }
p.partial { opacity: 0.75; font-style: italic; }
.speaker { font-size: 0.7em; font-weight: 700; margin-inline-end: 0.4em; color: var(--livedub-speaker); }
`;

// One colour per speaker (cycled), readable on the cues' dark background.
const SPEAKER_COLOURS = ["#ffd54f", "#80deea", "#ef9a9a", "#a5d6a7", "#ce93d8", "#ffab91"];

const DEFAULT_MAX_CUES = 2;
const DEFAULT_LINGER_MS = 6000;

export class SubtitleOverlay {
  readonly host: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly cues: CueList;
  private bilingual: boolean;
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(parent: HTMLElement, options: OverlayOptions) {
    this.bilingual = options.bilingual;
    this.cues = new CueList({
      maxCues: options.maxCues ?? DEFAULT_MAX_CUES,
      lingerMs: options.lingerMs ?? DEFAULT_LINGER_MS,
    });
    this.host = document.createElement("livedub-subtitles");
    const root = this.host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    this.stage = document.createElement("div");
    this.stage.className = "stage";
    this.stage.setAttribute("aria-live", "polite");
    this.stage.style.setProperty(
      "--livedub-position",
      options.placement === "viewport" ? "fixed" : "absolute",
    );
    root.append(style, this.stage);
    parent.append(this.host);
  }

  /** Moves the overlay, e.g. into the element that went full screen. */
  attachTo(parent: HTMLElement): void {
    if (this.host.parentElement !== parent) parent.append(this.host);
  }

  setBilingual(bilingual: boolean): void {
    this.bilingual = bilingual;
    this.render();
  }

  show(event: TextEvent): void {
    if (this.cues.apply(event, Date.now())) this.render();
  }

  clear(): void {
    this.cues.clear();
    this.render();
  }

  destroy(): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.host.remove();
  }

  private render(): void {
    const now = Date.now();
    const blocks = this.cues.visible(now).map((cue) => {
      const block = document.createElement("div");
      block.className = "cue";
      const lines = (this.bilingual ? [cue.original, cue.translation] : [cue.translation]).filter(
        (line): line is CueLine => line !== null,
      );
      const label = this.cues.speakerLabel(cue);
      lines.forEach((line, index) => {
        const element = lineElement(line, line === cue.original);
        // The speaker's name leads the cue's first line.
        if (label !== null && cue.speaker !== null && index === 0) element.prepend(speakerElement(label, cue.speaker));
        block.append(element);
      });
      if (cue.speaker !== null) block.dataset.speaker = String(cue.speaker);
      return block;
    });
    this.stage.replaceChildren(...blocks.filter((block) => block.childElementCount > 0));
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    const next = this.cues.nextExpiryMs(now);
    this.expiryTimer = next === null ? null : setTimeout(() => this.render(), next + 1);
  }
}

function speakerElement(label: string, speaker: number): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = "speaker";
  span.textContent = label;
  span.style.setProperty("--livedub-speaker", SPEAKER_COLOURS[(speaker - 1) % SPEAKER_COLOURS.length] ?? "#fff");
  return span;
}

function lineElement(line: CueLine, original: boolean): HTMLParagraphElement {
  const p = document.createElement("p");
  p.dir = line.dir;
  p.lang = line.language;
  p.textContent = line.text;
  p.classList.toggle("original", original);
  p.classList.toggle("partial", !line.final);
  if (line.untranslated) p.dataset.untranslated = "true";
  return p;
}
