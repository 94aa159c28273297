"""Frames as the encoder wants them: planar YUV 4:2:0 (I420), BT.709, limited range.

The frame stream used to hand ffmpeg RGB, which then converted every frame. Now
each picture and card is converted once, and the moving pictures are warped
plane by plane (luma at full size, chroma at half): a 1080p frame is 3 MB
through the pipe instead of 6, and costs about a fifth of the drawing time.

Layout of a frame array: shape (height * 3 // 2, width), uint8 — the Y plane,
then U and V (each height/2 × width/2) packed row after row, exactly ffmpeg's
`yuv420p` rawvideo. Chroma samples sit at the centre of each 2×2 block of luma
samples (the average of the four), and the encoder tags it so.

Because the RGB -> YCbCr conversion is affine, blending in YUV (crossfades,
caption panels) gives the same colours as blending in RGB would.
"""
from __future__ import annotations

import cv2
import numpy as np

# One thread: the encoder already uses every core, and results must not depend on threads.
cv2.setNumThreads(1)

# BT.709 luma weights
KR, KB = 0.2126, 0.0722
KG = 1.0 - KR - KB


def _matrices() -> tuple[np.ndarray, np.ndarray]:
    """RGB 0-255 -> Y'CbCr limited range (Y 16-235, C 16-240), and back, as 3x4
    affine matrices for cv2.transform (which rounds and clips to uint8 itself)."""
    ys, cs = 219.0 / 255.0, 224.0 / 255.0
    m = np.array([[KR * ys, KG * ys, KB * ys],
                  [-KR * cs / (2 * (1 - KB)), -KG * cs / (2 * (1 - KB)), cs / 2],
                  [cs / 2, -KG * cs / (2 * (1 - KR)), -KB * cs / (2 * (1 - KR))]])
    offset = np.array([16.0, 128.0, 128.0])
    inverse = np.linalg.inv(m)
    return np.hstack([m, offset[:, None]]), np.hstack([inverse, (-inverse @ offset)[:, None]])


TO_YCC, TO_RGB = _matrices()


def _ycc(rgb: np.ndarray) -> list[np.ndarray]:
    """Y, Cb, Cr planes (uint8, full size) of an RGB array: no float copies of the picture."""
    return cv2.split(cv2.transform(np.ascontiguousarray(rgb[..., :3]), TO_YCC))


def _half(plane: np.ndarray) -> np.ndarray:
    """Average each 2×2 block (the plane's sides must be even)."""
    h, w = plane.shape
    return cv2.resize(plane, (w // 2, h // 2), interpolation=cv2.INTER_AREA)


def _even(rgb: np.ndarray) -> np.ndarray:
    """Repeat the last row/column when a side is odd (never visible: motion stays inside)."""
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        rgb = np.pad(rgb, ((0, h % 2), (0, w % 2)) + ((0, 0),) * (rgb.ndim - 2), mode="edge")
    return rgb


class Planes:
    """A picture as separate Y, U and V planes (U and V at half size), ready to warp.

    Pictures are kept only in this form (1.5 bytes a pixel, against Pillow's 4 for RGB).
    """

    def __init__(self, rgb: np.ndarray, band: int = 128):
        # Converted 128 rows at a time: no full-size Y'CbCr copy beside the picture
        # (about 16 MB less at the peak for a 1080p frame's picture).
        h, w = rgb.shape[:2]
        self.y = np.empty((h + h % 2, w + w % 2), np.uint8)
        self.u = np.empty(((h + 1) // 2, (w + 1) // 2), np.uint8)
        self.v = np.empty_like(self.u)
        band += band % 2                                # even: chroma rows line up
        for top in range(0, h, band):
            y, cb, cr = _ycc(_even(rgb[top:top + band]))
            self.y[top:top + y.shape[0]] = y
            self.u[top // 2:top // 2 + y.shape[0] // 2] = _half(cb)
            self.v[top // 2:top // 2 + y.shape[0] // 2] = _half(cr)

    @property
    def width(self) -> int:
        return self.y.shape[1]

    @property
    def height(self) -> int:
        return self.y.shape[0]


def i420(rgb: np.ndarray) -> np.ndarray:
    """One frame-sized RGB image (even sides) as an I420 frame array."""
    p = Planes(rgb)
    return pack(p.y, p.u, p.v)


def pack(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    h, w = y.shape
    out = np.empty((h * 3 // 2, w), np.uint8)
    for view, plane in zip(views(out, w, h), (y, u, v)):
        view[:] = plane
    return out


def blank(width: int, height: int) -> np.ndarray:
    return np.empty((height * 3 // 2, width), np.uint8)


def views(frame: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y, U, V) views into an I420 frame array; writing to them writes the frame."""
    flat = frame.reshape(-1)
    n, q = width * height, (width // 2) * (height // 2)
    return (flat[:n].reshape(height, width),
            flat[n:n + q].reshape(height // 2, width // 2),
            flat[n + q:n + 2 * q].reshape(height // 2, width // 2))


def affine(box: tuple[float, float, float, float], width: int, plane_scale: int = 1) -> np.ndarray:
    """The inverse warpAffine matrix taking a plane's pixels (1/plane_scale of the
    frame's resolution) to the source box's plane.

    Box edges are pixel-edge coordinates; warpAffine maps pixel centres, hence the
    half-pixel terms. Scale (source pixels per frame pixel) is the same on every plane.
    """
    x0, y0, x1, _ = box
    k = (x1 - x0) / width
    return np.array([[k, 0.0, x0 / plane_scale + 0.5 * k - 0.5],
                     [0.0, k, y0 / plane_scale + 0.5 * k - 0.5]])


def warp(src: Planes, box: tuple[float, float, float, float], out: np.ndarray) -> None:
    """Resample `box` of the picture (x0, y0, x1, y1 in source pixels, fractional)
    to fill the frame array `out`: bilinear, each plane on its own grid.

    OpenCV's warpAffine positions samples to 1/32 pixel, far finer than our
    slowest pan moves in a frame, so the motion stays smooth; it runs about five
    times faster than Pillow's resize on these sizes.
    """
    height, width = out.shape[0] * 2 // 3, out.shape[1]
    y, u, v = views(out, width, height)
    luma, chroma = affine(box, width), affine(box, width, plane_scale=2)
    flags = cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
    cv2.warpAffine(src.y, luma, (width, height), dst=y, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    cv2.warpAffine(src.u, chroma, (width // 2, height // 2), dst=u, flags=flags,
                   borderMode=cv2.BORDER_REPLICATE)
    cv2.warpAffine(src.v, chroma, (width // 2, height // 2), dst=v, flags=flags,
                   borderMode=cv2.BORDER_REPLICATE)


class Overlay:
    """An RGBA panel (captions, lower third) ready to composite onto I420 frames.

    Premultiplied once, so each frame costs one multiply-add per covered sample.
    `pos` must be even so the panel's 2×2 blocks line up with the chroma grid.
    """

    def __init__(self, rgba: np.ndarray, pos: tuple[int, int]):
        if pos[0] % 2 or pos[1] % 2:
            raise ValueError(f"overlay position {pos} must be even")
        rgba = _even(rgba)
        self.x, self.y = pos
        alpha = rgba[..., 3].astype(np.float32) / 255.0
        y, cb, cr = (p.astype(np.float32) for p in _ycc(rgba))
        half_alpha = _half(alpha)
        self.layers = []
        for plane, a in ((y, alpha), (_half(cb), half_alpha), (_half(cr), half_alpha)):
            premultiplied = np.rint(plane * a * 256.0).astype(np.uint32)
            keep = np.rint((1.0 - a) * 256.0).astype(np.uint32)
            self.layers.append((premultiplied, keep))

    def apply(self, frame: np.ndarray, width: int, height: int) -> None:
        planes = views(frame, width, height)
        for k, (plane, (premultiplied, keep)) in enumerate(zip(planes, self.layers)):
            s = 1 if k == 0 else 2
            h, w = keep.shape
            x, y = self.x // s, self.y // s
            region = plane[y:y + h, x:x + w]
            # fixed point in 1/256ths: exact enough, and integer maths is deterministic
            region[:] = ((region * keep + premultiplied + 128) >> 8).astype(np.uint8)


def crossfade(a: np.ndarray, b: np.ndarray, alpha: float, out: np.ndarray) -> np.ndarray:
    """(1 - alpha) * a + alpha * b, rounded, into out."""
    return cv2.addWeighted(a, 1.0 - alpha, b, alpha, 0.0, dst=out)


def thumbnail(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A small RGB copy of an I420 frame: each plane area-averaged to `size` first."""
    height, width = frame.shape[0] * 2 // 3, frame.shape[1]
    small = [cv2.resize(p, size, interpolation=cv2.INTER_AREA) for p in views(frame, width, height)]
    return cv2.transform(cv2.merge(small), TO_RGB)


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """An I420 frame back to RGB (stills and checks; the encoder never needs it)."""
    height, width = frame.shape[0] * 2 // 3, frame.shape[1]
    y, u, v = views(frame, width, height)
    # centre-sited chroma: a bilinear upsample puts each sample back in the middle of its block
    up = [cv2.resize(c, (width, height), interpolation=cv2.INTER_LINEAR) for c in (u, v)]
    return cv2.transform(cv2.merge([y, *up]), TO_RGB)
