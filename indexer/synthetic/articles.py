"""The synthetic catalog: products with colourways, their attributes, texts and latent traits.

A *product* (one ``product_code``) has a line (index × product type), a pattern, a fabric, a
fit, two details, a launch day, a life-cycle length and a popularity; its colourways (the
*articles*) differ only in colour and a little popularity. Product codes grow with launch day
as in the real set, so newer articles have larger ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.catalog import ARTICLES
from indexer.synthetic import words
from indexer.synthetic.taxonomy import (
    APPEARANCES,
    COLOUR_MASTERS,
    COLOUR_VALUES,
    COLOURS,
    DENIM_COLOURS,
    GARMENT_GROUPS,
    INDEXES,
    TYPE_BY_NAME,
    department,
    garment_group,
)

N_DAYS = 734  # 2018-09-20 .. 2020-09-22 inclusive
#: Shop prices end in .99 like a real price list; data prices are shop price / 590.
PRICE_LADDER = np.array(
    [2.99, 3.99, 4.99, 5.99, 6.99, 7.99, 9.99, 12.99, 14.99, 17.99, 19.99, 24.99, 29.99, 34.99,
     39.99, 49.99, 59.99, 69.99, 79.99, 99.99, 129.99, 149.99, 199.99, 249.99, 299.99, 349.99]
)  # fmt: skip
PRICE_SCALE = 590.0
_SHORT_TYPE = {
    "Leggings/Tights": "leggings", "Jumpsuit/Playsuit": "jumpsuit", "Hat/beanie": "beanie",
    "Cap/peaked": "cap", "Underwear bottom": "briefs", "Swimwear bottom": "bikini bottoms",
    "Underwear Tights": "tights", "T-shirt": "T-shirt",
}  # fmt: skip
_ACCESSORY_GROUPS = {"Accessories", "Shoes"}
APP_POS = {a.name: i for i, a in enumerate(APPEARANCES)}
_GG_NO = GARMENT_GROUPS


@dataclass(frozen=True)
class Line:
    """One index × product type, the unit a customer's taste is expressed in."""

    index: int  # position in INDEXES
    type_name: str
    weight: float


LINES: tuple[Line, ...] = tuple(
    Line(i, t, ix.weight * w / sum(x[1] for x in ix.lines))
    for i, ix in enumerate(INDEXES)
    for t, w in ix.lines
)


@dataclass
class Catalog:
    """The articles (rows of `frame`, sorted by article_id) and their latent traits."""

    frame: pd.DataFrame
    product: np.ndarray  # (n_articles,) product position
    line: np.ndarray  # (n_articles,) position in LINES
    colour: np.ndarray  # (n_articles,) position in COLOURS
    appearance: np.ndarray  # (n_articles,) position in APPEARANCES
    price_idx: np.ndarray  # (n_articles,) position in PRICE_LADDER
    price_rel: np.ndarray  # (n_articles,) log(price / typical price of the type)
    pop: np.ndarray  # (n_articles,) popularity weight
    launch: np.ndarray  # (n_articles,) launch day (may be < 0: launched before the data)
    tau: np.ndarray  # (n_articles,) days from launch to the sales peak
    basic: np.ndarray  # (n_articles,) long-selling basic
    has_image: np.ndarray  # (n_articles,) bool
    first_article: np.ndarray  # (n_products,) position of the product's first colourway
    n_variants: np.ndarray  # (n_products,)

    @property
    def ids(self) -> list[str]:
        return list(self.frame["article_id"])


def _variant_counts(rng: np.random.Generator, n_articles: int) -> np.ndarray:
    """Colourways per product (mean about 2.2 like the real set), summing to n_articles."""
    sizes = np.minimum(rng.geometric(0.45, size=n_articles // 2 + 8), len(DENIM_COLOURS))
    cut = int(np.searchsorted(np.cumsum(sizes), n_articles))
    sizes = sizes[: cut + 1].copy()
    sizes[-1] -= int(sizes.sum()) - n_articles
    return sizes[sizes > 0]


def _colourways(rng: np.random.Generator, sizes: np.ndarray, denim: np.ndarray) -> list[list[int]]:
    """Distinct colours per product, frequent colours more often (Gumbel top-k)."""
    logw = np.log([c.weight for c in COLOURS])
    denim_ok = np.array([c.name in DENIM_COLOURS for c in COLOURS])
    keys = logw[None, :] + rng.gumbel(size=(len(sizes), len(COLOURS)))
    keys[denim] = np.where(denim_ok, keys[denim], -np.inf)
    order = np.argsort(-keys, axis=1)
    return [order[p, : sizes[p]].tolist() for p in range(len(sizes))]


def _choice(rng: np.random.Generator, weights: np.ndarray | list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _product_codes(rng: np.random.Generator, launch: np.ndarray) -> np.ndarray:
    """Distinct 6-digit codes (written with a leading 0) growing with the launch day."""
    codes = np.sort(rng.choice(959_461 - 108_775, size=len(launch), replace=False) + 108_775)
    out = np.empty_like(codes)
    out[np.argsort(launch, kind="stable")] = codes
    return out


def _pick(options: tuple[str, ...], u: float) -> str:
    return options[int(u * len(options))]


def _texts(rng: np.random.Generator, lines: np.ndarray, apps: np.ndarray) -> list[dict[str, str]]:
    """Per product: prod_name and a description template with ``{colour}`` in it."""
    out: list[dict[str, str]] = []
    uniforms = rng.random((len(lines), 6)).tolist()  # one batch of draws: fast and stable
    for line, app, u in zip(lines.tolist(), apps.tolist(), uniforms, strict=True):
        ptype = TYPE_BY_NAME[LINES[line].type_name]
        fabric = _pick(words.FABRICS[ptype.family], u[0])
        fit = _pick(words.fits_for(ptype.family), u[1])
        details = words.DETAILS[ptype.shape]
        i1 = int(u[2] * len(details))
        d2 = details[(i1 + 1 + int(u[3] * (len(details) - 1))) % len(details)]
        app_name = "Denim" if "denim" in fabric else APPEARANCES[app].name
        type_word = _SHORT_TYPE.get(ptype.name, ptype.name.lower())
        qualifier = "denim" if "denim" in fabric else _pick(words.NAME_QUALIFIERS, u[4])
        name = " ".join(w for w in (_pick(words.STYLE_NAMES, u[5]), qualifier, type_word) if w)
        desc = (
            f"{fit} {type_word} in {words.PATTERN_WORDS[app_name]}{{colour}} {fabric} "
            f"with {details[i1]} and {d2}.{words.PATTERN_SENTENCES.get(app_name, '')}"
        )
        out.append({"name": name, "desc": desc, "appearance": app_name})
    return out


def _lifecycle(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Launch day, days to peak, basic flag, popularity (lognormal: a heavy tail)."""
    old = rng.random(n) < 0.3
    launch = np.where(old, rng.integers(-400, 0, n), rng.integers(0, N_DAYS - 2, n))
    basic = rng.random(n) < 0.15
    tau = rng.lognormal(np.where(basic, np.log(200.0), np.log(30.0)), 0.5)
    pop = rng.lognormal(0.0, 1.5, n)
    return launch, tau, basic, pop


def _shop_prices(rng: np.random.Generator, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ladder position of each product's price and its log ratio to the type's usual price."""
    typical = np.array([TYPE_BY_NAME[ln.type_name].price for ln in LINES])[lines]
    factor = np.array([INDEXES[ln.index].price_factor for ln in LINES])[lines]
    premium = np.where(rng.random(len(lines)) < 0.02, 2.5, 1.0)  # a few premium pieces
    want = typical * factor * premium * rng.lognormal(0.0, 0.3, len(lines))
    idx = np.abs(np.log(PRICE_LADDER)[None, :] - np.log(want)[:, None]).argmin(axis=1)
    return idx, np.log(PRICE_LADDER[idx] / typical)


def _row(code: str, suffix: int, line: int, text: dict[str, str], colour: int) -> list[object]:
    ln = LINES[line]
    ix, ptype, c = INDEXES[ln.index], TYPE_BY_NAME[ln.type_name], COLOURS[colour]
    app = APPEARANCES[APP_POS[text["appearance"]]]
    gg = garment_group(ptype.family, ix.code, app.name, ptype.group in _ACCESSORY_GROUPS)
    dept_no, dept_name = department(ix, gg)
    section_no, section_name = ix.sections[int(text["section"])]
    desc = text["desc"].replace("{colour}", c.name.lower()) if text["desc"] else ""
    return [
        f"{code}{suffix:03d}",
        code,
        text["name"],
        ptype.no,
        ptype.name,
        ptype.group,
        app.no,
        app.name,
        c.code,
        c.name,
        c.value_id,
        COLOUR_VALUES[c.value_id],
        c.master_id,
        COLOUR_MASTERS[c.master_id],
        dept_no,
        dept_name,
        ix.code,
        ix.name,
        ix.group_no,
        ix.group_name,
        section_no,
        section_name,
        _GG_NO[gg],
        gg,
        desc,
    ]


def _frame(
    rng: np.random.Generator,
    order: np.ndarray,
    codes: np.ndarray,
    lines: np.ndarray,
    texts: list[dict[str, str]],
    colours: list[list[int]],
) -> pd.DataFrame:
    """The articles.csv rows: products in code order, colourways with growing suffixes."""
    first_suffix = rng.geometric(0.5, len(codes))
    rows: list[list[object]] = []
    for p in order.tolist():
        suffix = int(first_suffix[p])
        for colour in colours[p]:
            rows.append(_row(f"0{codes[p]}", suffix, int(lines[p]), texts[p], colour))
            suffix += int(rng.geometric(0.7))
    return pd.DataFrame(rows, columns=ARTICLES.names)


def build_catalog(rng: np.random.Generator, n_articles: int) -> Catalog:
    """Draw ``n_articles`` articles grouped into products; rows sorted by article_id."""
    sizes = _variant_counts(rng, n_articles)
    n_p = len(sizes)
    lines = _choice(rng, [ln.weight for ln in LINES], n_p)
    texts = _texts(rng, lines, _choice(rng, [a.weight for a in APPEARANCES], n_p))
    colours = _colourways(rng, sizes, np.array([t["appearance"] == "Denim" for t in texts]))
    launch, tau, basic, pop = _lifecycle(rng, n_p)
    codes = _product_codes(rng, launch)
    price_idx, price_rel = _shop_prices(rng, lines)
    no_desc = rng.random(n_p) < 0.004  # like the real set's few empty detail_desc
    for p, t in enumerate(texts):
        t["section"] = str(rng.integers(len(INDEXES[LINES[lines[p]].index].sections)))
        t["desc"] = "" if no_desc[p] else t["desc"]
    order = np.argsort(codes)  # from here on products are numbered in code order
    frame = _frame(rng, order, codes, lines, texts, colours)
    product, sizes = np.repeat(order, sizes[order]), sizes[order]
    colour_pos = {c.code: i for i, c in enumerate(COLOURS)}
    app_pos = {a.no: i for i, a in enumerate(APPEARANCES)}
    return Catalog(
        frame=frame,
        product=np.repeat(np.arange(n_p), sizes),
        line=lines[product],
        colour=np.array([colour_pos[c] for c in frame["colour_group_code"]]),
        appearance=np.array([app_pos[a] for a in frame["graphical_appearance_no"]]),
        price_idx=price_idx[product],
        price_rel=price_rel[product],
        pop=pop[product] * rng.lognormal(0.0, 0.6, len(frame)),
        launch=launch[product],
        tau=tau[product],
        basic=basic[product],
        has_image=rng.random(len(frame)) >= 0.0042,  # 0.4% of real articles have no image
        first_article=np.concatenate([[0], np.cumsum(sizes)[:-1]]),
        n_variants=sizes,
    )
