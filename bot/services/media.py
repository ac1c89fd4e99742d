"""Photos are re-encoded before relaying so no metadata (EXIF, GPS, camera) survives."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.core.errors import Refusal

MAX_SIDE = 2560


def strip_photo(data: bytes) -> bytes:
    """Decode and re-encode as JPEG with no metadata; orientation is applied to the pixels."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            clean = Image.new("RGB", image.size)
            clean.paste(image)
            out = io.BytesIO()
            clean.save(out, format="JPEG", quality=88, optimize=True)
            return out.getvalue()
    except Image.DecompressionBombError as exc:
        raise Refusal("relay.photo_too_large") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise Refusal("relay.photo_unreadable") from exc
