/**
 * Swatch colours for H&M's `colour_group_name` values (the synthetic world uses the same names).
 * Unknown names fall back on a base word they contain ("Other Pink" → pink), then neutral grey.
 */
const SWATCHES: Record<string, string> = {
  Black: "#161618",
  White: "#f8f8f6",
  "Off White": "#ece5d4",
  "Light Beige": "#dccaac",
  Beige: "#bea480",
  "Greyish Beige": "#a89f8c",
  "Light Grey": "#c0c0c3",
  Grey: "#808083",
  "Dark Grey": "#424246",
  "Light Blue": "#9ebee2",
  Blue: "#3058aa",
  "Dark Blue": "#1a264c",
  "Other Blue": "#4a6fb5",
  "Light Red": "#e8878c",
  Red: "#c41e2a",
  "Dark Red": "#6c1422",
  "Other Red": "#b0303a",
  "Light Pink": "#f4c6d0",
  Pink: "#e4709c",
  "Dark Pink": "#b03a6a",
  "Other Pink": "#d98fb0",
  "Light Yellow": "#f5e69a",
  Yellow: "#eece2e",
  "Dark Yellow": "#c9a21a",
  "Other Yellow": "#e0c04a",
  "Light Orange": "#f4b07a",
  Orange: "#e87626",
  "Dark Orange": "#b4561a",
  "Other Orange": "#d8803a",
  "Light Green": "#a8d4a0",
  Green: "#388a46",
  "Dark Green": "#1c442c",
  "Other Green": "#4c8a5a",
  "Yellowish Green": "#a4b83a",
  "Greenish Khaki": "#767446",
  "Yellowish Brown": "#926232",
  "Light Purple": "#c6b2e0",
  Purple: "#7a4fa0",
  "Dark Purple": "#4a2a66",
  "Other Purple": "#8e6ab0",
  "Light Turquoise": "#9adcd8",
  Turquoise: "#26a8a8",
  "Dark Turquoise": "#1a6e6e",
  "Other Turquoise": "#3a9a9a",
  Gold: "#c9a54a",
  Silver: "#c4c6c8",
  "Bronze/Copper": "#a8683a",
  Transparent: "#eef2f3",
};

const BASE_WORDS: [string, string][] = [
  ["black", "#161618"],
  ["white", "#f8f8f6"],
  ["grey", "#808083"],
  ["beige", "#bea480"],
  ["blue", "#3058aa"],
  ["red", "#c41e2a"],
  ["pink", "#e4709c"],
  ["yellow", "#eece2e"],
  ["orange", "#e87626"],
  ["green", "#388a46"],
  ["khaki", "#767446"],
  ["brown", "#926232"],
  ["purple", "#7a4fa0"],
  ["turquoise", "#26a8a8"],
];

export function swatchColour(name: string): string {
  const exact = SWATCHES[name];
  if (exact) return exact;
  const lower = name.toLowerCase();
  return BASE_WORDS.find(([word]) => lower.includes(word))?.[1] ?? "#b8b8b8";
}

/** Light swatches need a visible edge on a white page. */
export function isLightSwatch(name: string): boolean {
  const hex = swatchColour(name).slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return 0.299 * (r ?? 0) + 0.587 * (g ?? 0) + 0.114 * (b ?? 0) > 200;
}
