"""The catalog CNN: a small convolutional network trained at index time on the catalog's images.

It learns to predict each article's product type, colour group and graphical appearance from
its photo; the layer before those three heads (L2-normalised) is the image vector, so images
that look alike in those respects land close together. Small on purpose: 64 px inputs and a
4×4 "patchify" stem keep a full H&M-sized catalog (105k images) trainable on two CPU cores in
minutes. Weights are stored as safetensors plus a JSON config next to the index, so the API
embeds an uploaded photo with exactly the network the index was built with.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (the usual torch alias)
from PIL import Image
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm.auto import tqdm

from encoders.image_base import CONFIG_FILE, ImageEncoder, decode_images, to_square_array

log = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.safetensors"
_THREADS = 2
_LR = 3e-3
#: Images seen per epoch at most. Beyond ~50k the network has seen every look many times over;
#: the cap keeps a 105k catalog near 4 minutes of training on 2 contended cores (500 img/s).
MAX_EPOCH_IMAGES = 50_000


@dataclass(frozen=True)
class CnnConfig:
    """Everything needed to rebuild the network; ``classes`` maps each head to its labels."""

    image_size: int = 64
    dim: int = 128
    widths: tuple[int, ...] = (32, 64, 128, 128)
    classes: dict[str, list[int]] = field(default_factory=dict)


def _conv(c_in: int, c_out: int, kernel: int, stride: int) -> list[nn.Module]:
    pad = kernel // 2 if stride == 1 else 0
    return [
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=pad, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


class _Net(nn.Module):
    def __init__(self, config: CnnConfig) -> None:
        super().__init__()
        layers = _conv(3, config.widths[0], 4, 4)
        side = config.image_size // 4
        for c_in, c_out in zip(config.widths, config.widths[1:], strict=False):
            layers += _conv(c_in, c_out, 3, 1)
            if side >= 2:  # small inputs run out of pixels before they run out of blocks
                layers.append(nn.MaxPool2d(2))
                side //= 2
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.embed = nn.Linear(config.widths[-1], config.dim)
        self.heads = nn.ModuleDict(
            {name: nn.Linear(config.dim, len(c)) for name, c in config.classes.items()}
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        z = self.embed(self.features(x))
        # Heads are linear in the vector, so classes separate along directions cosine can see.
        return z, {name: head(z) for name, head in self.heads.items()}


def _to_input(batch: np.ndarray) -> torch.Tensor:
    """uint8 NHWC → float NCHW scaled to roughly [-2, 2] (fixed, so no statistics to store)."""
    x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float()
    return (x / 255.0 - 0.5) / 0.25


class CatalogCNN(ImageEncoder):
    """A trained catalog network in evaluation mode; vectors are its normalised embedding."""

    def __init__(
        self, net: _Net, config: CnnConfig, trained_on: tuple[list[Path], np.ndarray] | None = None
    ) -> None:
        self._net = net.eval()
        self.config = config
        # The decoded training images, kept for the first `encode_paths` of the same paths:
        # a build embeds exactly the images it trained on, and decoding 105k JPEGs twice costs
        # minutes. Dropped after that first use.
        self._trained_on = trained_on

    @property
    def name(self) -> str:
        return "catalog-cnn"

    @property
    def dim(self) -> int:
        return self.config.dim

    def encode_array(self, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Vectors of decoded images, uint8 ``(n, size, size, 3)`` as `decode_images` gives."""
        size = self.config.image_size
        if images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise ValueError(f"images must have shape (n, {size}, {size}, 3), got {images.shape}")
        out = np.zeros((len(images), self.dim), dtype=np.float32)
        torch.set_num_threads(_THREADS)
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                z, _ = self._net(_to_input(images[start : start + batch_size]))
                out[start : start + len(z)] = F.normalize(z, dim=1).numpy()
        return out

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.encode_array(
            np.stack([to_square_array(i, self.config.image_size) for i in images])
        )

    def encode_paths(
        self, paths: Sequence[Path], progress: bool = False, batch_size: int = 512
    ) -> np.ndarray:
        cached, self._trained_on = self._trained_on, None
        if cached is not None and cached[0] == [Path(p) for p in paths]:
            images = cached[1]
        else:
            images = decode_images(paths, self.config.image_size, progress=progress)
        return self.encode_array(images, batch_size=batch_size)

    def predict(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Each head's predicted label (original codes) for decoded images."""
        with torch.inference_mode():
            _, logits = self._net(_to_input(images))
        return {
            name: np.asarray(self.config.classes[name])[out.argmax(dim=1).numpy()]
            for name, out in logits.items()
        }

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.contiguous() for k, v in self._net.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE))
        config = {"kind": "catalog-cnn", **asdict(self.config)}
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2))

    @classmethod
    def load(cls, folder: Path) -> CatalogCNN:
        raw = json.loads((Path(folder) / CONFIG_FILE).read_text())
        widths, classes = tuple(raw["widths"]), dict(raw["classes"])
        config = CnnConfig(int(raw["image_size"]), int(raw["dim"]), widths, classes)
        net = _Net(config)
        net.load_state_dict(load_file(str(Path(folder) / WEIGHTS_FILE)))
        return cls(net, config)


def _check_inputs(
    paths: Sequence[Path], labels: Mapping[str, np.ndarray], images: np.ndarray | None, size: int
) -> int:
    n = len(paths) if images is None else len(images)
    if n == 0 or not labels:
        raise ValueError("train_catalog_cnn needs at least one image and one label head")
    if images is not None and len(paths) not in (0, n):
        raise ValueError(f"{len(paths)} paths but {n} decoded images")
    for name, arr in labels.items():
        if np.shape(arr) != (n,):
            raise ValueError(f"labels[{name!r}] has shape {np.shape(arr)}, expected ({n},)")
    if images is not None and images.shape != (n, size, size, 3):
        raise ValueError(f"images has shape {images.shape}, expected ({n}, {size}, {size}, 3)")
    return n


def _targets(
    labels: Mapping[str, np.ndarray],
) -> tuple[dict[str, list[int]], dict[str, torch.Tensor]]:
    """Label codes (any ints, e.g. ``product_type_no``) → contiguous class indices per head."""
    classes: dict[str, list[int]] = {}
    targets: dict[str, torch.Tensor] = {}
    for name, arr in labels.items():
        values, inverse = np.unique(np.asarray(arr), return_inverse=True)
        classes[name] = [int(v) for v in values]
        targets[name] = torch.from_numpy(inverse.astype(np.int64))
    return classes, targets


@dataclass
class _Trainer:
    net: _Net
    images: np.ndarray
    targets: dict[str, torch.Tensor]
    batch_size: int
    per_epoch: int
    gen: torch.Generator
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LRScheduler

    def epoch(self, bar: tqdm) -> tuple[float, dict[str, float]]:
        """One pass in a fresh order; the mean loss and each head's training accuracy."""
        order = torch.randperm(len(self.images), generator=self.gen)[: self.per_epoch]
        loss_sum, hits = 0.0, dict.fromkeys(self.targets, 0)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            n = len(idx)
            if n == 1:  # batch norm needs two samples; a repeated one changes nothing
                idx = idx.repeat(2)
            x = _to_input(self.images[idx.numpy()])
            flip = torch.rand(len(idx), generator=self.gen) < 0.5  # garments are symmetric
            x[flip] = x[flip].flip(3)
            _, logits = self.net(x)
            loss = torch.stack(
                [F.cross_entropy(logits[k], t[idx]) for k, t in self.targets.items()]
            ).sum()
            self.opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            self.opt.step()
            self.sched.step()
            loss_sum += loss.item() * n
            for k, t in self.targets.items():
                hits[k] += int((logits[k][:n].argmax(dim=1) == t[idx[:n]]).sum())
            bar.update(n)
        return loss_sum / len(order), {k: v / len(order) for k, v in hits.items()}


def train_catalog_cnn(
    paths: Sequence[Path],
    labels: Mapping[str, np.ndarray],
    *,
    epochs: int = 4,
    image_size: int = 64,
    batch_size: int = 256,
    seed: int = 42,
    progress: bool = True,
    images: np.ndarray | None = None,
    dim: int = 128,
    max_epoch_images: int = MAX_EPOCH_IMAGES,
) -> CatalogCNN:
    """Train the catalog CNN on image files and their labels; deterministic for a seed.

    ``labels`` maps each head's name (``product_type``, ``colour_group``,
    ``graphical_appearance``) to an int array with one code per path; codes need not be
    contiguous and a head may have a single class. ``images`` is the optional uint8 cache
    ``(len(paths), image_size, image_size, 3)`` from `decode_images`, to decode only once.
    Each epoch trains on at most ``max_epoch_images`` images, a fresh random draw each time.
    """
    n = _check_inputs(paths, labels, images, image_size)
    if max_epoch_images < 1 or epochs < 1:
        raise ValueError("epochs and max_epoch_images must be at least 1")
    start = time.perf_counter()
    if images is None:
        images = decode_images(paths, image_size, progress=progress)
    classes, targets = _targets(labels)
    if all(len(c) < 2 for c in classes.values()):
        log.warning("every label head has a single class: the image vectors will not learn")
    torch.manual_seed(seed)
    torch.set_num_threads(_THREADS)
    config = CnnConfig(image_size=image_size, dim=dim, classes=classes)
    net = _Net(config).train()
    opt = torch.optim.AdamW(net.parameters(), lr=_LR, weight_decay=1e-4)
    per_epoch = min(n, max_epoch_images)
    steps = epochs * -(-per_epoch // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=_LR, total_steps=steps)
    gen = torch.Generator().manual_seed(seed)
    trainer = _Trainer(net, images, targets, batch_size, per_epoch, gen, opt, sched)
    with tqdm(
        total=epochs * per_epoch, desc="train catalog CNN", unit="img", disable=not progress
    ) as bar:
        for epoch in range(epochs):
            loss, acc = trainer.epoch(bar)
            accuracy = {k: round(v, 3) for k, v in acc.items()}
            log.info("CNN epoch %d/%d: loss %.3f, accuracy %s", epoch + 1, epochs, loss, accuracy)
    log.info("trained catalog CNN on %d images in %.1f s", n, time.perf_counter() - start)
    return CatalogCNN(net, config, trained_on=([Path(p) for p in paths], images) if paths else None)
