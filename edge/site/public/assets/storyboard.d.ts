// Types of storyboard.js for the unit tests (not served: see ../.assetsignore).
export interface StoryboardCue {
  start: number;
  end: number;
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}
export const STORYBOARD_DATA_ID: string;
export function parseStoryboard(text: string, trackUrl: string): StoryboardCue[];
export function contentTime(t: number, adRanges: { start: number; end: number }[]): number | null;
export function cueAt(cues: StoryboardCue[], t: number | null): StoryboardCue | null;
