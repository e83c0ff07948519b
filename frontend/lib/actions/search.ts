"use server";

import { searchImage } from "@/lib/api/catalog";
import { userMessage } from "@/lib/api/errors";
import type { ListItem, Weights } from "@/lib/api/types";
import { parseFilters, toFilterQuery } from "@/lib/filters";
import { getSession } from "@/lib/session";

export interface PhotoSearchState {
  status: "idle" | "done" | "error";
  message: string;
  items: ListItem[];
  weights: Weights | null;
}

const MAX_BYTES = 5 * 1024 * 1024;
const TYPES = new Set(["image/jpeg", "image/png"]);

function failed(message: string): PhotoSearchState {
  return { status: "error", message, items: [], weights: null };
}

/** Search by an uploaded photo under the filters of the current Search URL. */
export async function searchByPhoto(
  _prev: PhotoSearchState,
  form: FormData,
): Promise<PhotoSearchState> {
  const file = form.get("photo");
  if (!(file instanceof File) || file.size === 0) return failed("Choose a photo first.");
  if (file.size > MAX_BYTES) return failed("The photo is larger than 5 MB.");
  if (!TYPES.has(file.type)) return failed("The photo must be a JPEG or PNG image.");
  const filters = parseFilters(new URLSearchParams(String(form.get("filters") ?? "")));
  const session = await getSession();
  try {
    const res = await searchImage(file, { ...toFilterQuery(filters), limit: 24 }, session?.token);
    const n = res.items.length;
    return {
      status: "done",
      message: n ? `${n} look-alikes for ${file.name}` : "No look-alikes under these filters.",
      items: res.items,
      weights: res.weights ?? null,
    };
  } catch (err) {
    return failed(userMessage(err));
  }
}
