// "Subtitles to keep": the controls the popup and the demo page share to download a
// session's subtitles so far (WebVTT or SRT, translated or original) as a file.
import type { SubtitlesQuery } from "../types/api";
import type { TextFile } from "./api-client";
import { element, field } from "./dom";

export interface SubtitleDownloadOptions {
  /** Whether the session makes translated subtitles (a dub-only one has its transcript alone). */
  translation: boolean;
  download: (query: SubtitlesQuery) => Promise<TextFile>;
  onError: (message: string) => void;
}

/** Saves text as a file through a temporary link (no downloads permission needed). */
export function saveTextFile(file: TextFile): void {
  const url = URL.createObjectURL(new Blob([file.text], { type: `${file.type};charset=utf-8` }));
  const link = element("a", { href: url, download: file.filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Builds the format and track choices and the button into `root`. */
export function renderSubtitleDownload(root: HTMLElement, options: SubtitleDownloadOptions): void {
  const format = element(
    "select",
    { name: "subtitleFormat" },
    new Option("WebVTT (.vtt)", "vtt"),
    new Option("SubRip (.srt)", "srt"),
  );
  const track = element("select", { name: "subtitleTrack" });
  if (options.translation) track.append(new Option("Translated subtitles", "translation"));
  track.append(new Option("Original transcript", "transcript"));
  const button = element("button", { type: "button", className: "secondary", textContent: "Download subtitles" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const query: SubtitlesQuery = {
        format: format.value as NonNullable<SubtitlesQuery["format"]>,
        track: track.value as NonNullable<SubtitlesQuery["track"]>,
      };
      saveTextFile(await options.download(query));
    } catch (error) {
      options.onError(`the subtitles could not be downloaded: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      button.disabled = false;
    }
  });
  const title = element("p", { className: "download-title", textContent: "This session's subtitles so far" });
  root.replaceChildren(title, element("div", { className: "download" }, field("Format", format), field("Text", track), button));
}
