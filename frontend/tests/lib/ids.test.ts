import { describe, expect, it } from "vitest";

import { fromList, isRecId } from "@/lib/ids";

const REC = "feed.v20261206T103751841398Z.-.mxc3ubd7.5f2ebc881331.232759093899a5d2";

describe("the list a product was opened from", () => {
  it("takes a well-formed rec_id and position", () => {
    expect(fromList(REC, "3")).toEqual({ recId: REC, position: 3 });
    expect(isRecId(REC)).toBe(true);
  });

  it("drops anything else, so an event is organic rather than refused", () => {
    for (const [rec, pos] of [
      [REC, "0"],
      [REC, "1001"],
      [REC, "2.5"],
      [REC, undefined],
      ["<script>", "1"],
      ["x".repeat(161), "1"],
      [[REC], "1"],
      [undefined, "1"],
    ]) {
      expect(fromList(rec, pos)).toBeNull();
    }
  });
});
