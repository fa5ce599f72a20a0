import { describe, expect, it } from "vitest";
import type { TextEvent } from "../types/api";
import { CueList, textDirection } from "./subtitle-cues";

const text = (type: TextEvent["type"], segment: number, data: string, language: string, final = true): TextEvent => ({
  type,
  id: `s:${segment}:${type}:${data}`,
  session_id: "s",
  segment,
  data,
  language,
  final,
});

describe("textDirection", () => {
  it("is rtl for Hebrew (with or without region) and ltr for English and Spanish", () => {
    expect(textDirection("he")).toBe("rtl");
    expect(textDirection("he-IL")).toBe("rtl");
    expect(textDirection("ar")).toBe("rtl");
    expect(textDirection("en")).toBe("ltr");
    expect(textDirection("es")).toBe("ltr");
  });
});

describe("CueList", () => {
  it("pairs a segment's transcript and translation, each with its own direction", () => {
    const cues = new CueList({ maxCues: 2, lingerMs: 5000 });
    cues.apply(text("transcript", 1, "שלום לכולם", "he"), 0);
    cues.apply(text("subtitle", 1, "Hello everyone", "en"), 10);
    const [cue] = cues.visible(20);
    expect(cue?.original).toMatchObject({ text: "שלום לכולם", dir: "rtl", language: "he" });
    expect(cue?.translation).toMatchObject({ text: "Hello everyone", dir: "ltr", language: "en" });
  });

  it("replaces a partial with later text and never replaces a final", () => {
    const cues = new CueList({ maxCues: 2, lingerMs: 5000 });
    cues.apply(text("subtitle", 1, "Hel", "en", false), 0);
    expect(cues.apply(text("subtitle", 1, "Hello every", "en", false), 1)).toBe(true);
    expect(cues.apply(text("subtitle", 1, "Hello everyone", "en", true), 2)).toBe(true);
    expect(cues.apply(text("subtitle", 1, "Hello every", "en", false), 3)).toBe(false);
    expect(cues.visible(4)[0]?.translation).toMatchObject({ text: "Hello everyone", final: true });
  });

  it("keeps only the newest segments, in order, and lets them expire", () => {
    const cues = new CueList({ maxCues: 2, lingerMs: 1000 });
    cues.apply(text("subtitle", 3, "three", "en"), 0);
    cues.apply(text("subtitle", 1, "one", "en"), 0);
    cues.apply(text("subtitle", 2, "two", "en"), 500);
    expect(cues.visible(600).map((c) => c.segment)).toEqual([2, 3]);
    expect(cues.nextExpiryMs(600)).toBe(400);
    expect(cues.visible(1000).map((c) => c.segment)).toEqual([2]);
    expect(cues.visible(1500)).toEqual([]);
    expect(cues.nextExpiryMs(1500)).toBeNull();
  });

  it("marks subtitles left in the source language", () => {
    const cues = new CueList({ maxCues: 1, lingerMs: 1000 });
    cues.apply({ ...text("subtitle", 1, "שלום", "he"), untranslated: true }, 0);
    expect(cues.visible(1)[0]?.translation).toMatchObject({ untranslated: true, dir: "rtl" });
  });
});

describe("CueList speakers", () => {
  const said = (segment: number, data: string, speaker?: number): TextEvent => ({
    ...text("subtitle", segment, data, "es"),
    ...(speaker === undefined ? {} : { speaker }),
  });

  it("names no speaker while the session has had one, then names each cue's", () => {
    const cues = new CueList({ maxCues: 3, lingerMs: 5000 });
    cues.apply(said(0, "Hola", 1), 0);
    const [alone] = cues.visible(1);
    expect(alone?.speaker).toBe(1);
    expect(cues.speakerLabel(alone!)).toBeNull();
    cues.apply(said(1, "Buenas", 2), 2);
    cues.apply(said(2, "Adiós"), 3); // a cue without a speaker (speakers not told apart)
    expect(cues.visible(4).map((cue) => cues.speakerLabel(cue))).toEqual(["Speaker 1", "Speaker 2", null]);
  });

  it("forgets the speakers with the cues", () => {
    const cues = new CueList({ maxCues: 3, lingerMs: 5000 });
    cues.apply(said(0, "Hola", 1), 0);
    cues.apply(said(1, "Buenas", 2), 0);
    cues.clear();
    cues.apply(said(2, "Otra vez", 2), 1);
    const [cue] = cues.visible(2);
    expect(cues.speakerLabel(cue!)).toBeNull();
  });
});
