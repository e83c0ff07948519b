"""Words the synthetic `prod_name` and `detail_desc` are composed from.

Each fabric family has its own fabrics and fits and each silhouette its own details, so a
text model sees "ribbed jersey vest top with narrow shoulder straps" and "denim shorts with
turn-ups at the hems" as far apart. No word here names a colour: colour words enter a
description only through the colour group, so colourways differ in exactly those words.
"""

from __future__ import annotations

FABRICS: dict[str, tuple[str, ...]] = {
    "jersey_top": ("cotton jersey", "ribbed jersey", "slub jersey", "modal-blend jersey",
                   "stretch jersey", "organic cotton jersey"),
    "woven_top": ("airy chiffon", "crepe", "satin", "viscose weave", "lyocell weave",
                  "broderie anglaise"),
    "shirt": ("cotton poplin", "oxford cotton", "linen-blend fabric", "cotton twill", "flannel",
              "denim"),
    "knit": ("soft rib-knit", "fine-knit cotton", "cable-knit wool blend", "chunky knit",
             "mohair-blend knit", "cashmere-blend knit"),
    "sweat": ("sweatshirt fabric", "soft cotton-blend sweatshirt fabric", "fleece"),
    "outer": ("padded nylon", "softshell", "cotton twill", "faux shearling", "wool-blend felt",
              "water-repellent fabric", "denim", "imitation leather"),
    "tailored": ("woven fabric", "wool-blend twill", "linen-blend weave", "stretch suiting"),
    "trousers": ("cotton twill", "stretch denim", "washed denim", "linen blend", "corduroy",
                 "crepe", "chino twill"),
    "shorts": ("denim", "washed denim", "cotton twill", "linen blend", "sweatshirt fabric",
               "nylon"),
    "skirt": ("denim", "satin", "pleated chiffon", "corduroy", "crepe", "faux leather"),
    "jersey_bottom": ("stretch jersey", "fast-drying functional fabric", "ribbed jersey",
                      "cotton-blend jersey"),
    "dress": ("crepe", "jersey", "airy chiffon", "poplin", "satin", "rib-knit", "linen blend",
              "broderie anglaise"),
    "lingerie": ("microfibre", "lace", "soft cotton jersey", "satin", "mesh"),
    "socks": ("fine-knit cotton blend", "soft knit", "ribbed knit", "sheer microfibre"),
    "swim": ("recycled swimwear fabric", "shimmering swimwear fabric", "ribbed swimwear fabric"),
    "nightwear": ("soft cotton jersey", "flannel", "satin", "ribbed modal"),
    "baby": ("soft organic cotton jersey", "cotton muslin", "fine-knit cotton",
             "sweatshirt fabric"),
    "shoes": ("canvas", "imitation leather", "suede", "mesh", "leather", "knitted fabric"),
    "acc": ("imitation leather", "woven straw", "recycled polyester", "cotton canvas",
            "nylon"),
    "jewellery": ("metal", "brass", "recycled metal", "glass beads"),
}  # fmt: skip

FITS: dict[str, tuple[str, ...]] = {
    "clothes": ("Fitted", "Relaxed-fit", "Regular-fit", "Oversized", "Slim-fit", "Cropped",
                "Loose-fit", "Straight-cut"),
    "shoes": ("Classic", "Chunky", "Lightweight", "Minimal", "Sporty"),
    "acc": ("Classic", "Small", "Large", "Minimal", "Sporty"),
}  # fmt: skip


def fits_for(family: str) -> tuple[str, ...]:
    if family == "shoes":
        return FITS["shoes"]
    if family in {"acc", "jewellery"}:
        return FITS["acc"]
    return FITS["clothes"]


DETAILS: dict[str, tuple[str, ...]] = {
    "vest": ("narrow shoulder straps", "a racer back", "a deep scoop neck", "a straight hem",
             "wide straps"),
    "tshirt": ("short sleeves", "a round neckline", "a chest pocket", "a rounded hem",
               "dropped shoulders"),
    "longsleeve": ("long sleeves", "ribbed cuffs", "a stand-up collar", "buttoned cuffs",
                   "a turn-down collar", "a straight-cut hem", "raglan sleeves"),
    "blouse": ("a frill-trimmed neckline", "long balloon sleeves", "a V-neck",
               "smocked cuffs", "a tie at the neck"),
    "cardigan": ("buttons down the front", "long sleeves", "ribbing at the cuffs and hem",
                 "front pockets", "a V-neck"),
    "hoodie": ("a lined drawstring hood", "a kangaroo pocket", "ribbed cuffs and hem",
               "long raglan sleeves", "a soft brushed inside"),
    "jacket": ("a zip down the front", "a stand-up collar", "flap side pockets",
               "notch lapels", "press-studs", "a chest pocket"),
    "coat": ("a double-breasted front", "notch lapels", "welt side pockets",
             "a single back vent", "a detachable hood", "a belt at the waist"),
    "trousers": ("a high waist", "an elasticated waist", "side pockets", "tapered legs",
                 "wide legs", "a zip fly and button", "creases down the front"),
    "shorts": ("a high waist", "an elasticated drawstring waist", "side pockets",
               "raw-edge hems", "turn-ups at the hems", "a zip fly"),
    "skirt": ("a high waist", "a concealed zip at the back", "a flared hem",
              "a slit at the front", "pleats", "a wrapover front"),
    "leggings": ("a wide waistband", "an elasticated waist", "ankle-length legs",
                 "a high waist", "flat seams"),
    "dress": ("narrow shoulder straps", "a V-neck", "a smocked bodice", "short puff sleeves",
              "a flared skirt", "a tie belt at the waist", "a seam at the waist"),
    "jumpsuit": ("a V-neck", "narrow adjustable shoulder straps", "a tie belt", "wide legs",
                 "side pockets"),
    "bodysuit": ("press-studs at the crotch", "envelope shoulders", "long sleeves",
                 "a round neckline"),
    "bra": ("underwired cups", "adjustable shoulder straps", "a hook-and-eye fastening",
            "moulded padded cups", "a racer back"),
    "briefs": ("a low waist", "a lined gusset", "a wide elastication at the waist",
               "high-cut legs", "a mid waist"),
    "socks": ("ribbed tops", "reinforced heels", "a cushioned sole", "an anti-slip sole"),
    "swimsuit": ("a low-cut back", "a lined front", "adjustable straps", "high-cut legs"),
    "pyjama": ("a top with short sleeves", "long trousers with an elasticated waist",
               "a chest pocket", "piping around the edges"),
    "sneaker": ("lacing at the front", "a padded tongue and edge", "a chunky rubber sole",
                "a loop at the back", "a cushioned insole"),
    "boot": ("a zip in one side", "a chunky block heel", "pull-on loops at the back",
             "a lug sole", "a lined shaft"),
    "sandal": ("a toe-post", "an adjustable ankle strap", "a block heel", "a cork footbed",
               "a buckle at the side"),
    "bag": ("a zip at the top", "an adjustable shoulder strap", "an inner compartment",
            "two handles at the top", "a magnetic fastener"),
    "hat": ("a fold-up brim", "a ribbed knit", "a pompom at the top", "a soft lining"),
    "cap": ("a peak", "an adjustable strap at the back", "an embroidered motif",
            "ventilation holes"),
    "scarf": ("fringes at the short ends", "a soft brushed finish", "a generous size"),
    "belt": ("a metal buckle", "a matte finish", "a covered buckle", "a keeper loop"),
    "earring": ("a butterfly fastener", "hoops", "pendants", "a sparkly stone"),
    "sunglasses": ("tinted UV-protective lenses", "metal frames", "plastic frames",
                   "rounded lenses"),
}  # fmt: skip

#: How a pattern reads before the colour: "striped black cotton jersey".
PATTERN_WORDS: dict[str, str] = {
    "Solid": "", "Stripe": "striped ", "Check": "checked ", "Dot": "spotted ",
    "All over pattern": "patterned ", "Melange": "marl ", "Front print": "",
    "Placement print": "", "Colour blocking": "colour-block ", "Lace": "lace-trimmed ",
    "Jacquard": "jacquard-knit ", "Metallic": "glittery ", "Other structure": "textured ",
    "Denim": "",
}  # fmt: skip

#: A sentence added after the main one for prints.
PATTERN_SENTENCES: dict[str, str] = {
    "Front print": " Printed motif on the front.",
    "Placement print": " Small printed design at one side.",
}

STYLE_NAMES: tuple[str, ...] = (
    "Jade", "Tilly", "Mia", "Luna", "Nora", "Elsa", "Ida", "Vera", "Alma", "Stella", "Freja",
    "Saga", "Ebba", "Maja", "Wilma", "Linnea", "Astrid", "Klara", "Signe", "Greta", "Hedda",
    "Tove", "Selma", "Liv", "Moa", "Juno", "Ruby", "Cleo", "Iris", "Pearl", "Hazel", "Ivy",
    "Mabel", "Daisy", "Olive", "Lou", "Billie", "Frankie", "Jamie", "Sam", "Leo", "Axel",
    "Hugo", "Otto", "Nils", "Erik", "Oscar", "Felix", "Loke", "Viggo", "Theo", "Elton",
    "Marley", "Rio", "Skye", "Dallas", "Austin", "Boston", "Paris", "Capri", "Malibu", "Oslo",
    "Bergen", "Malmo", "Lund", "Visby", "Bali", "Nice", "Porto", "Siena", "Verona", "Lima",
)  # fmt: skip

#: Short words that may stand before the product type in `prod_name`.
NAME_QUALIFIERS: tuple[str, ...] = (
    "", "", "", "HW", "Basic", "Premium", "Soft", "Slim", "Wide", "Relaxed", "Light", "Sport",
    "Organic", "Essential",
)  # fmt: skip
