"""open_clip image encoder: any open_clip architecture with a pretrained tag or a local file.

Weights are never downloaded at run time: a pretrained tag must already be in the Hugging Face
cache (the hub is put in offline mode before open_clip is imported), and a checkpoint file is
read from disk. A custom architecture can be registered from its JSON config file (open_clip's
own format, named ``<model_name>.json``); the saved folder keeps a copy so `load` can
register it again. CLIP also has a text tower, so it serves text-to-image search.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from core.errors import BuildError
from encoders.image_base import CONFIG_FILE, ImageEncoder

log = logging.getLogger(__name__)


class OpenClipEncoder(ImageEncoder):
    """An open_clip model on the CPU in evaluation mode."""

    supports_text = True

    def __init__(
        self, model_name: str, pretrained: str, *, config_file: Path | None = None
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import open_clip
        import torch

        if config_file is not None:
            if Path(config_file).stem != model_name:
                raise ValueError(f"config file {config_file} must be named {model_name}.json")
            open_clip.add_model_config(config_file)
        self.model_name, self.pretrained, self.config_file = model_name, pretrained, config_file
        if model_name not in open_clip.list_models():
            raise BuildError(f"unknown open_clip model {model_name!r}")
        start = time.perf_counter()
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                model_name, pretrained=pretrained or None, device="cpu"
            )
        except (OSError, RuntimeError, ValueError) as exc:
            raise BuildError(
                f"cannot load open_clip {model_name} with pretrained={pretrained!r} offline: "
                f"{exc}. Use a local checkpoint file or a tag already in the HF cache"
            ) from exc
        self._model: Any = model.eval()
        self._preprocess: Any = preprocess
        self._tokenizer: Any = open_clip.get_tokenizer(model_name)
        self._torch = torch
        self._dim = int(open_clip.get_model_config(model_name)["embed_dim"])
        log.info(
            "loaded open_clip %s (%s, %d-d) in %.1f s",
            model_name,
            pretrained or "random weights",
            self._dim,
            time.perf_counter() - start,
        )

    @property
    def name(self) -> str:
        return f"open_clip:{self.model_name}"

    @property
    def dim(self) -> int:
        return self._dim

    def _to_numpy(self, features: Any) -> np.ndarray:
        normed = self._torch.nn.functional.normalize(features.float(), dim=-1)
        return np.ascontiguousarray(normed.numpy(), dtype=np.float32)

    def encode_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        if len(images) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        batch = self._torch.stack([self._preprocess(img.convert("RGB")) for img in images])
        with self._torch.inference_mode():
            return self._to_numpy(self._model.encode_image(batch))

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        tokens = self._tokenizer(list(texts))
        with self._torch.inference_mode():
            return self._to_numpy(self._model.encode_text(tokens))

    def save(self, folder: Path) -> None:
        """Record the model name and weights source; the weights stay where they are."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        pretrained = self.pretrained
        if pretrained and Path(pretrained).is_file():
            pretrained = str(Path(pretrained).resolve())
        config: dict[str, Any] = {
            "kind": "open_clip",
            "model_name": self.model_name,
            "pretrained": pretrained,
            "dim": self._dim,
        }
        if self.config_file is not None:
            # open_clip names a registered architecture after its file, so keep the name.
            arch = folder / f"{self.model_name}.json"
            if Path(self.config_file).resolve() != arch.resolve():
                shutil.copyfile(self.config_file, arch)
            config["architecture"] = arch.name
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2))

    @classmethod
    def load(cls, folder: Path) -> OpenClipEncoder:
        folder = Path(folder)
        raw = json.loads((folder / CONFIG_FILE).read_text())
        arch = raw.get("architecture")
        config_file = folder / str(arch) if arch else None
        return cls(str(raw["model_name"]), str(raw["pretrained"]), config_file=config_file)
