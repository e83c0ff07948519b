"""H&M-like taxonomies for the synthetic world: index groups, product types, colours, patterns.

Names and numbering follow the real `articles.csv` (index codes A-J and S, product groups,
colour groups with perceived colour value and master, graphical appearances, garment groups),
so code written against the synthetic world reads a real download the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductType:
    no: int
    name: str
    group: str  # product_group_name
    shape: str  # silhouette drawn by images.py
    family: str  # vocabulary (fabrics, fits) in words.py
    price: float  # typical shop price before the index's price factor
    season: str = ""  # "summer", "winter" or "" (all year)


@dataclass(frozen=True)
class Index:
    code: str
    name: str
    group_no: int
    group_name: str
    weight: float  # share of the catalog's products
    price_factor: float
    dept_prefix: str
    sections: tuple[tuple[int, str], ...]
    lines: tuple[tuple[str, float], ...]  # (product type name, weight)


@dataclass(frozen=True)
class Colour:
    code: int
    name: str
    rgb: tuple[int, int, int]
    value_id: int
    master_id: int
    weight: float


@dataclass(frozen=True)
class Appearance:
    no: int
    name: str
    weight: float


_UP, _LOW, _FULL = "Garment Upper body", "Garment Lower body", "Garment Full body"
_ACC, _SHOES, _SWIM = "Accessories", "Shoes", "Swimwear"

PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType(253, "Vest top", _UP, "vest", "jersey_top", 9.99, "summer"),
    ProductType(254, "Top", _UP, "longsleeve", "jersey_top", 14.99),
    ProductType(255, "T-shirt", _UP, "tshirt", "jersey_top", 9.99, "summer"),
    ProductType(258, "Blouse", _UP, "blouse", "woven_top", 24.99),
    ProductType(259, "Shirt", _UP, "longsleeve", "shirt", 24.99),
    ProductType(252, "Sweater", _UP, "longsleeve", "knit", 29.99, "winter"),
    ProductType(245, "Cardigan", _UP, "cardigan", "knit", 29.99, "winter"),
    ProductType(308, "Hoodie", _UP, "hoodie", "sweat", 24.99, "winter"),
    ProductType(264, "Jacket", _UP, "jacket", "outer", 49.99, "winter"),
    ProductType(262, "Coat", _UP, "coat", "outer", 79.99, "winter"),
    ProductType(267, "Blazer", _UP, "jacket", "tailored", 49.99),
    ProductType(272, "Trousers", _LOW, "trousers", "trousers", 29.99),
    ProductType(274, "Shorts", _LOW, "shorts", "shorts", 17.99, "summer"),
    ProductType(275, "Skirt", _LOW, "skirt", "skirt", 24.99, "summer"),
    ProductType(273, "Leggings/Tights", _LOW, "leggings", "jersey_bottom", 14.99),
    ProductType(265, "Dress", _FULL, "dress", "dress", 29.99, "summer"),
    ProductType(268, "Jumpsuit/Playsuit", _FULL, "jumpsuit", "dress", 34.99, "summer"),
    ProductType(256, "Bodysuit", _UP, "bodysuit", "baby", 12.99),
    ProductType(306, "Bra", "Underwear", "bra", "lingerie", 19.99),
    ProductType(286, "Underwear bottom", "Underwear", "briefs", "lingerie", 6.99),
    ProductType(302, "Socks", "Socks & Tights", "socks", "socks", 4.99, "winter"),
    ProductType(304, "Underwear Tights", "Socks & Tights", "leggings", "socks", 9.99, "winter"),
    ProductType(298, "Bikini top", _SWIM, "bra", "swim", 14.99, "summer"),
    ProductType(59, "Swimwear bottom", _SWIM, "briefs", "swim", 12.99, "summer"),
    ProductType(57, "Swimsuit", _SWIM, "swimsuit", "swim", 24.99, "summer"),
    ProductType(87, "Pyjama set", "Nightwear", "pyjama", "nightwear", 24.99),
    ProductType(94, "Sneakers", _SHOES, "sneaker", "shoes", 34.99),
    ProductType(93, "Boots", _SHOES, "boot", "shoes", 49.99, "winter"),
    ProductType(88, "Sandals", _SHOES, "sandal", "shoes", 24.99, "summer"),
    ProductType(66, "Bag", _ACC, "bag", "acc", 24.99),
    ProductType(72, "Hat/beanie", _ACC, "hat", "knit", 9.99, "winter"),
    ProductType(71, "Cap/peaked", _ACC, "cap", "acc", 12.99, "summer"),
    ProductType(83, "Scarf", _ACC, "scarf", "knit", 14.99, "winter"),
    ProductType(67, "Belt", _ACC, "belt", "acc", 12.99),
    ProductType(70, "Earring", _ACC, "earring", "jewellery", 7.99),
    ProductType(73, "Sunglasses", _ACC, "sunglasses", "acc", 12.99, "summer"),
)

INDEXES: tuple[Index, ...] = (
    Index("A", "Ladieswear", 1, "Ladieswear", 0.26, 1.0, "",
          ((16, "Womens Everyday Collection"), (15, "Womens Casual"), (18, "Womens Trend"),
           (11, "Womens Tailoring")),
          (("Vest top", 3), ("Top", 3), ("T-shirt", 2), ("Blouse", 3), ("Shirt", 1.5),
           ("Sweater", 3), ("Cardigan", 1.5), ("Jacket", 1.5), ("Coat", 1), ("Blazer", 1.5),
           ("Trousers", 4), ("Shorts", 1.5), ("Skirt", 2), ("Dress", 5),
           ("Jumpsuit/Playsuit", 1))),
    Index("B", "Lingeries/Tights", 1, "Ladieswear", 0.10, 1.0, "",
          ((61, "Womens Lingerie"), (62, "Womens Nightwear, Socks & Tigh"),
           (65, "Womens Swimwear, beachwear")),
          (("Bra", 4), ("Underwear bottom", 4), ("Underwear Tights", 2), ("Socks", 1),
           ("Pyjama set", 1.5), ("Bikini top", 1.5), ("Swimwear bottom", 1.5),
           ("Swimsuit", 1))),
    Index("C", "Ladies Accessories", 1, "Ladieswear", 0.07, 1.0, "",
          ((64, "Womens Big accessories"), (66, "Womens Small accessories"),
           (42, "Womens Shoes")),
          (("Bag", 2), ("Hat/beanie", 1.5), ("Cap/peaked", 0.5), ("Scarf", 1), ("Belt", 1),
           ("Earring", 2.5), ("Sunglasses", 1), ("Sneakers", 1), ("Boots", 1),
           ("Sandals", 1))),
    Index("D", "Divided", 2, "Divided", 0.15, 0.8, "Divided ",
          ((53, "Divided Collection"), (51, "Divided Basics"), (50, "Divided Projects"),
           (52, "Divided Selected")),
          (("Vest top", 3), ("Top", 3), ("T-shirt", 2), ("Sweater", 2), ("Hoodie", 1.5),
           ("Jacket", 1), ("Trousers", 4), ("Shorts", 2), ("Skirt", 1.5), ("Dress", 3),
           ("Jumpsuit/Playsuit", 1), ("Leggings/Tights", 1), ("Sneakers", 0.5))),
    Index("F", "Menswear", 3, "Menswear", 0.10, 1.1, "Men ",
          ((21, "Contemporary Casual"), (23, "Contemporary Smart"), (25, "Men Underwear"),
           (20, "Contemporary Street")),
          (("T-shirt", 4), ("Vest top", 1), ("Shirt", 3), ("Sweater", 3), ("Hoodie", 2),
           ("Jacket", 2), ("Coat", 1), ("Blazer", 1), ("Trousers", 4), ("Shorts", 2),
           ("Underwear bottom", 1.5), ("Socks", 1.5), ("Swimwear bottom", 0.7),
           ("Pyjama set", 0.5), ("Sneakers", 1.5), ("Boots", 0.5), ("Cap/peaked", 1),
           ("Hat/beanie", 0.7), ("Belt", 0.5))),
    Index("G", "Baby Sizes 50-98", 4, "Baby/Children", 0.07, 0.6, "Baby ",
          ((44, "Baby Essentials & Complements"), (41, "Baby Boy"), (43, "Baby Girl")),
          (("Bodysuit", 5), ("T-shirt", 2), ("Sweater", 1.5), ("Trousers", 3), ("Shorts", 1),
           ("Dress", 1.5), ("Jacket", 1), ("Pyjama set", 1.5), ("Socks", 1),
           ("Hat/beanie", 1))),
    Index("H", "Children Sizes 92-140", 4, "Baby/Children", 0.09, 0.65, "Kids ",
          ((46, "Kids Girl"), (47, "Kids Boy"), (45, "Young Girl"), (48, "Young Boy")),
          (("T-shirt", 3), ("Top", 1.5), ("Sweater", 2), ("Hoodie", 1.5), ("Trousers", 3),
           ("Shorts", 1.5), ("Skirt", 1), ("Dress", 2), ("Jacket", 1),
           ("Leggings/Tights", 1.5), ("Pyjama set", 1), ("Swimsuit", 0.5))),
    Index("I", "Children Sizes 134-170", 4, "Baby/Children", 0.05, 0.75, "Teen ",
          ((77, "Kids Outerwear"), (76, "Girls Collection"), (79, "Boys Collection")),
          (("T-shirt", 2), ("Top", 1.5), ("Hoodie", 1.5), ("Sweater", 1.5), ("Trousers", 3),
           ("Shorts", 1), ("Dress", 1.5), ("Jacket", 1), ("Leggings/Tights", 1))),
    Index("J", "Children Accessories, Swimwear", 4, "Baby/Children", 0.04, 0.6, "Kids ",
          ((72, "Kids Accessories, Swimwear & D"), (74, "Kids & Baby Shoes")),
          (("Swimsuit", 2), ("Swimwear bottom", 2), ("Bikini top", 1), ("Hat/beanie", 2),
           ("Cap/peaked", 1.5), ("Socks", 2), ("Sneakers", 1.5), ("Bag", 1),
           ("Sandals", 1))),
    Index("S", "Sport", 26, "Sport", 0.07, 1.1, "Sport ",
          ((5, "Ladies H&M Sport"), (8, "Men H&M Sport")),
          (("Vest top", 2), ("T-shirt", 2), ("Top", 1.5), ("Leggings/Tights", 4),
           ("Shorts", 2), ("Bra", 2.5), ("Hoodie", 1.5), ("Jacket", 1.5), ("Sneakers", 1),
           ("Socks", 1), ("Cap/peaked", 0.5))),
)  # fmt: skip

# Perceived colour values and masters, as ids and names in the real file.
COLOUR_VALUES: dict[int, str] = {
    1: "Dark", 2: "Dusty Light", 3: "Light", 4: "Medium Dusty", 5: "Bright", 6: "Medium",
}  # fmt: skip
COLOUR_MASTERS: dict[int, str] = {
    5: "Black", 9: "White", 11: "Beige", 12: "Grey", 2: "Blue", 18: "Red", 4: "Pink",
    13: "Yellow", 3: "Orange", 19: "Green", 8: "Khaki green", 1: "Brown", 15: "Lilac Purple",
    6: "Turquoise",
}  # fmt: skip

COLOURS: tuple[Colour, ...] = (
    Colour(9, "Black", (22, 22, 24), 1, 5, 20.0),
    Colour(10, "White", (248, 248, 246), 3, 9, 9.0),
    Colour(11, "Off White", (236, 229, 212), 2, 9, 5.0),
    Colour(12, "Light Beige", (220, 202, 172), 2, 11, 4.0),
    Colour(13, "Beige", (190, 164, 128), 4, 11, 3.0),
    Colour(6, "Light Grey", (192, 192, 195), 3, 12, 2.5),
    Colour(7, "Grey", (128, 128, 131), 6, 12, 4.0),
    Colour(8, "Dark Grey", (66, 66, 70), 1, 12, 3.0),
    Colour(71, "Light Blue", (158, 190, 226), 3, 2, 4.0),
    Colour(72, "Blue", (48, 88, 170), 6, 2, 4.0),
    Colour(73, "Dark Blue", (26, 38, 76), 1, 2, 9.0),
    Colour(42, "Red", (196, 30, 42), 5, 18, 3.0),
    Colour(43, "Dark Red", (108, 20, 34), 1, 18, 2.0),
    Colour(51, "Light Pink", (244, 198, 208), 3, 4, 4.0),
    Colour(52, "Pink", (228, 112, 156), 5, 4, 3.0),
    Colour(22, "Yellow", (238, 206, 46), 5, 13, 2.0),
    Colour(32, "Orange", (232, 118, 38), 5, 3, 1.5),
    Colour(92, "Green", (56, 138, 70), 6, 19, 2.0),
    Colour(93, "Dark Green", (28, 68, 44), 1, 19, 2.0),
    Colour(19, "Greenish Khaki", (118, 116, 70), 4, 8, 2.0),
    Colour(17, "Yellowish Brown", (146, 98, 50), 4, 1, 1.5),
    Colour(61, "Light Purple", (198, 178, 224), 3, 15, 1.2),
    Colour(82, "Turquoise", (38, 168, 168), 5, 6, 1.0),
)

#: Colours a denim garment comes in.
DENIM_COLOURS = ("Light Blue", "Blue", "Dark Blue", "Black", "Grey", "White")

APPEARANCES: tuple[Appearance, ...] = (
    Appearance(1010016, "Solid", 50.0),
    Appearance(1010017, "Stripe", 6.0),
    Appearance(1010004, "Check", 3.0),
    Appearance(1010006, "Dot", 2.0),
    Appearance(1010001, "All over pattern", 10.0),
    Appearance(1010010, "Melange", 4.0),
    Appearance(1010008, "Front print", 4.0),
    Appearance(1010002, "Placement print", 3.0),
    Appearance(1010005, "Colour blocking", 2.0),
    Appearance(1010021, "Lace", 1.5),
    Appearance(1010009, "Jacquard", 1.5),
    Appearance(1010011, "Metallic", 0.5),
    Appearance(1010026, "Other structure", 2.0),
    Appearance(1010023, "Denim", 0.0),  # only through a denim fabric
)

GARMENT_GROUPS: dict[str, int] = {
    "Jersey Basic": 1002, "Knitwear": 1003, "Jersey Fancy": 1005,
    "Woven/Jersey/Knitted mix Baby": 1006, "Outdoor": 1007, "Dressed": 1008,
    "Trousers": 1009, "Blouses": 1010, "Shirts": 1011, "Skirts": 1012, "Dresses Ladies": 1013,
    "Trousers Denim": 1016, "Under-, Nightwear": 1017, "Swimwear": 1018, "Accessories": 1019,
    "Shoes": 1020, "Socks and Tights": 1021, "Shorts": 1025,
}  # fmt: skip

_FAMILY_GARMENT_GROUP: dict[str, str] = {
    "jersey_top": "Jersey Basic", "woven_top": "Blouses", "shirt": "Shirts",
    "knit": "Knitwear", "sweat": "Jersey Fancy", "outer": "Outdoor", "tailored": "Dressed",
    "trousers": "Trousers", "shorts": "Shorts", "skirt": "Skirts",
    "jersey_bottom": "Jersey Basic", "dress": "Dresses Ladies", "lingerie": "Under-, Nightwear",
    "nightwear": "Under-, Nightwear", "socks": "Socks and Tights", "swim": "Swimwear",
    "baby": "Woven/Jersey/Knitted mix Baby", "shoes": "Shoes", "acc": "Accessories",
    "jewellery": "Accessories",
}  # fmt: skip

_NOT_CLOTHES = {"shoes", "acc", "jewellery", "socks"}


def garment_group(family: str, index_code: str, appearance: str, is_accessory: bool) -> str:
    """The garment group of a product: by fabric family, with H&M's special cases."""
    if is_accessory and family == "knit":
        return "Accessories"
    if index_code == "G" and family not in _NOT_CLOTHES:
        return "Woven/Jersey/Knitted mix Baby"  # baby clothes are one group whatever the cut
    if appearance == "Denim" and family in {"trousers", "shorts", "skirt"}:
        return "Trousers Denim"
    if family == "jersey_top" and appearance != "Solid":
        return "Jersey Fancy"
    return _FAMILY_GARMENT_GROUP[family]


def department(index: Index, group_name: str) -> tuple[int, str]:
    """Department number and name: one department per index and garment group."""
    i = [x.code for x in INDEXES].index(index.code)
    g = sorted(GARMENT_GROUPS).index(group_name)
    return 1000 + 300 * i + 13 * g, f"{index.dept_prefix}{group_name}"


TYPE_BY_NAME: dict[str, ProductType] = {t.name: t for t in PRODUCT_TYPES}
