"""Regenerate the sample project's pictures and music bed.

Everything in assets/images/ and assets/music/ is made by this script from
nothing but code: calm, abstract illustrations drawn with Pillow and an
ambient pad synthesised with numpy, encoded with the ffmpeg that ships in the
imageio-ffmpeg wheel. No photographs, no recordings, no metadata.

    python assets/make_assets.py            # from the repository root

The output is deterministic (fixed sizes, colours and random seed).
"""
from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"
MUSIC = HERE / "music"
W, H = 1920, 1280


# ---------------------------------------------------------------- pictures

def gradient(top: tuple[int, int, int], bottom: tuple[int, int, int],
             glow: tuple[float, float] | None = None, glow_colour=(255, 244, 220),
             glow_strength: float = 0.35) -> Image.Image:
    """A vertical gradient with an optional soft radial glow (a light source)."""
    y = np.linspace(0.0, 1.0, H)[:, None, None]
    img = np.array(top, float) * (1 - y) + np.array(bottom, float) * y
    img = np.broadcast_to(img, (H, W, 3)).copy()
    if glow:
        gx, gy = glow
        xs = np.linspace(0, 1, W)[None, :]
        ys = np.linspace(0, 1, H)[:, None]
        d = np.sqrt(((xs - gx) * 1.5) ** 2 + (ys - gy) ** 2)
        k = (np.exp(-(d / 0.45) ** 2) * glow_strength)[:, :, None]
        img = img * (1 - k) + np.array(glow_colour, float) * k
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def soften(img: Image.Image, radius: float = 3.0) -> Image.Image:
    """A little blur and a very fine grain, so flat shapes feel painted, not vector."""
    img = img.filter(ImageFilter.GaussianBlur(radius))
    rng = np.random.default_rng(7)
    arr = np.asarray(img).astype(np.int16)
    grain = rng.normal(0, 1.6, (H // 4, W // 4, 1))
    grain = np.kron(grain, np.ones((4, 4, 1)))  # coarse grain compresses well
    arr = np.clip(arr + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def mug(d: ImageDraw.ImageDraw, x: int, y: int, colour, scale: float = 1.0) -> None:
    w, h = int(110 * scale), int(130 * scale)
    d.rounded_rectangle((x, y, x + w, y + h), radius=int(18 * scale), fill=colour)
    d.ellipse((x + w - int(14 * scale), y + int(28 * scale), x + w + int(46 * scale),
               y + int(92 * scale)), outline=colour, width=int(14 * scale))
    d.ellipse((x + 6, y - int(10 * scale), x + w - 6, y + int(18 * scale)),
              fill=tuple(max(0, c - 40) for c in colour))


def kitchen_table() -> Image.Image:
    img = gradient((236, 226, 206), (214, 196, 170), glow=(0.72, 0.28))
    d = ImageDraw.Draw(img)
    # window with four panes, morning light
    d.rounded_rectangle((1060, 130, 1700, 700), radius=12, fill=(250, 246, 232))
    d.rectangle((1370, 130, 1390, 700), fill=(196, 176, 146))
    d.rectangle((1060, 405, 1700, 425), fill=(196, 176, 146))
    d.rectangle((1040, 700, 1720, 730), fill=(190, 168, 136))
    # a plant on the sill
    d.polygon([(1180, 700), (1210, 620), (1250, 620), (1280, 700)], fill=(168, 110, 84))
    for dx, dy in ((-60, -120), (0, -170), (60, -120), (-30, -150), (35, -150)):
        d.ellipse((1230 + dx - 34, 620 + dy, 1230 + dx + 34, 620 + dy + 90), fill=(104, 142, 104))
    # table top and legs
    d.polygon([(120, 900), (1800, 900), (1920, 1080), (0, 1080)], fill=(160, 118, 82))
    d.rectangle((0, 1080, 1920, 1110), fill=(130, 94, 64))
    d.rectangle((160, 1110, 200, 1280), fill=(120, 86, 58))
    d.rectangle((1720, 1110, 1760, 1280), fill=(120, 86, 58))
    # two mugs and a folder of letters
    mug(d, 620, 800, (70, 110, 140))
    mug(d, 860, 820, (196, 120, 96))
    d.polygon([(1120, 880), (1540, 860), (1580, 960), (1150, 985)], fill=(232, 214, 150))
    d.polygon([(1140, 870), (1500, 852), (1530, 930), (1165, 950)], fill=(250, 248, 240))
    d.polygon([(1160, 860), (1470, 846), (1495, 905), (1180, 922)], fill=(244, 240, 230))
    return soften(img)


def office_window() -> Image.Image:
    img = gradient((58, 72, 104), (196, 170, 160), glow=(0.5, 0.35), glow_colour=(255, 206, 160),
                   glow_strength=0.45)
    d = ImageDraw.Draw(img)
    # wall either side of a tall window
    d.rectangle((0, 0, 520, 1280), fill=(206, 200, 194))
    d.rectangle((1400, 0, 1920, 1280), fill=(206, 200, 194))
    d.rectangle((520, 0, 1400, 90), fill=(206, 200, 194))
    # distant rooftops at dusk
    for i, (x0, x1, top) in enumerate(((520, 760, 620), (760, 940, 560), (940, 1160, 650),
                                       (1160, 1400, 590))):
        d.rectangle((x0, top, x1, 900), fill=(84 + i * 6, 88 + i * 4, 116))
    d.rectangle((520, 90, 540, 900), fill=(170, 164, 158))
    d.rectangle((1380, 90, 1400, 900), fill=(170, 164, 158))
    d.rectangle((950, 90, 970, 900), fill=(170, 164, 158))
    d.rectangle((480, 900, 1440, 940), fill=(184, 178, 170))
    # floor, desk, chair
    d.rectangle((0, 1000, 1920, 1280), fill=(150, 140, 134))
    d.rectangle((300, 880, 1100, 920), fill=(112, 86, 70))
    d.rectangle((330, 920, 360, 1180), fill=(96, 72, 58))
    d.rectangle((1040, 920, 1070, 1180), fill=(96, 72, 58))
    d.rounded_rectangle((560, 760, 820, 882), radius=10, fill=(60, 64, 72))  # closed laptop
    d.rounded_rectangle((1180, 800, 1360, 960), radius=24, fill=(70, 96, 120))  # chair back
    d.rounded_rectangle((1150, 960, 1390, 1010), radius=16, fill=(62, 86, 108))
    d.rectangle((1260, 1010, 1280, 1150), fill=(60, 60, 66))
    d.line((1190, 1170, 1350, 1170), fill=(60, 60, 66), width=14)
    # a lamp glow on the desk
    d.polygon([(880, 880), (920, 700), (960, 700), (1000, 880)], fill=(236, 206, 150))
    return soften(img)


def two_chairs() -> Image.Image:
    img = gradient((228, 214, 200), (196, 178, 168), glow=(0.3, 0.25), glow_strength=0.3)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 960, 1920, 1280), fill=(170, 150, 138))  # floor
    d.ellipse((560, 1040, 1360, 1200), fill=(150, 124, 116))  # rug
    # low table with two mugs
    d.rounded_rectangle((800, 880, 1120, 920), radius=12, fill=(122, 92, 72))
    d.rectangle((830, 920, 850, 1080), fill=(108, 80, 62))
    d.rectangle((1070, 920, 1090, 1080), fill=(108, 80, 62))
    mug(d, 850, 780, (92, 128, 116), scale=0.7)
    mug(d, 990, 790, (180, 132, 92), scale=0.7)

    def chair(x: int, facing: int, colour) -> None:
        back_x = x - 60 if facing > 0 else x + 300
        d.rounded_rectangle((back_x, 560, back_x + 100, 960), radius=40, fill=colour)
        d.rounded_rectangle((x, 820, x + 340, 960), radius=40, fill=colour)
        arm = tuple(max(0, c - 24) for c in colour)
        d.rounded_rectangle((x - 10, 760, x + 360, 820), radius=30, fill=arm)
        d.rectangle((x + 20, 960, x + 44, 1060), fill=(90, 70, 60))
        d.rectangle((x + 296, 960, x + 320, 1060), fill=(90, 70, 60))

    chair(340, 1, (96, 122, 150))
    chair(1240, -1, (168, 104, 96))
    # a picture frame and a shelf on the wall
    d.rectangle((860, 260, 1060, 480), fill=(246, 240, 228), outline=(150, 126, 104), width=14)
    d.ellipse((900, 300, 1020, 420), fill=(210, 190, 150))
    d.rectangle((1420, 420, 1760, 440), fill=(150, 120, 96))
    for i, (h, c) in enumerate(((110, (120, 140, 110)), (90, (180, 150, 110)), (130, (110, 120, 150)))):
        d.rectangle((1450 + i * 50, 420 - h, 1490 + i * 50, 420), fill=c)
    return soften(img)


def save_jpeg(img: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Pillow writes no EXIF unless asked; `exif=b""` and no ICC profile make that explicit.
    img.save(path, "JPEG", quality=84, optimize=True, progressive=True, exif=b"")


# ---------------------------------------------------------------- music

RATE = 44100
SECONDS = 36.0
# A slow, unresolved progression (C major 7, A minor 9, F major 7, G6/sus), one chord every 9 s.
CHORDS = [
    (48, [60, 64, 67, 71]),
    (45, [57, 60, 64, 71]),
    (41, [57, 60, 64, 69]),
    (43, [55, 62, 64, 67]),
]


def midi_hz(note: int) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def pad_voice(freq: float, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A soft pad note: slightly detuned sines with two quiet harmonics and slow vibrato."""
    out = np.zeros_like(t)
    for detune in (-0.12, 0.0, 0.13):
        f = freq * 2 ** (detune / 12)
        phase = rng.uniform(0, 2 * np.pi)
        vib = 0.002 * np.sin(2 * np.pi * 0.17 * t + phase)
        out += np.sin(2 * np.pi * f * t * (1 + vib) + phase)
        out += 0.18 * np.sin(2 * np.pi * 2 * f * t + phase)
        out += 0.05 * np.sin(2 * np.pi * 3 * f * t + phase)
    return out / 3


def synth_pad() -> np.ndarray:
    rng = np.random.default_rng(11)
    n = int(RATE * SECONDS)
    left = np.zeros(n)
    right = np.zeros(n)
    seg = SECONDS / len(CHORDS)
    xfade = 3.0
    for i, (bass, notes) in enumerate(CHORDS):
        start = max(0.0, i * seg - xfade / 2)
        end = min(SECONDS, (i + 1) * seg + xfade / 2)
        a, b = int(start * RATE), int(end * RATE)
        t = np.arange(b - a) / RATE
        env = np.ones_like(t)
        ramp = int(xfade * RATE)
        env[:ramp] = np.sin(np.linspace(0, np.pi / 2, ramp)) ** 2
        env[-ramp:] = np.cos(np.linspace(0, np.pi / 2, ramp)) ** 2
        chord = 0.55 * pad_voice(midi_hz(bass), t, rng)
        for j, note in enumerate(notes):
            voice = pad_voice(midi_hz(note), t, rng) * (0.5 if j else 0.6)
            pan = 0.35 + 0.3 * (j / max(1, len(notes) - 1))
            left[a:b] += voice * env * (1 - pan)
            right[a:b] += voice * env * pan
        left[a:b] += chord * env * 0.5
        right[a:b] += chord * env * 0.5
    stereo = np.stack([left, right], axis=1)
    # gentle low-pass (a short Hann-window FIR) to take the edge off the harmonics
    kernel = np.hanning(15)
    kernel /= kernel.sum()
    for ch in range(2):
        stereo[:, ch] = np.convolve(stereo[:, ch], kernel, mode="same")
    # fades: 3 s in, 5 s out
    fade_in, fade_out = int(3 * RATE), int(5 * RATE)
    stereo[:fade_in] *= np.linspace(0, 1, fade_in)[:, None] ** 2
    stereo[-fade_out:] *= np.linspace(1, 0, fade_out)[:, None] ** 2
    peak = np.max(np.abs(stereo))
    return stereo / peak * 0.5  # peak at about -6 dBFS: no clipping, room under a voice


def write_mp3(samples: np.ndarray, path: Path) -> None:
    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (samples * 32767).astype("<i2")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "pad.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm.tobytes())
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
             "-i", str(wav), "-map_metadata", "-1", "-fflags", "+bitexact",
             "-c:a", "libmp3lame", "-b:a", "96k", "-id3v2_version", "0",
             "-write_xing", "0", str(path)],
            check=True)


def main() -> None:
    for name, make in (("kitchen-table", kitchen_table), ("office-window", office_window),
                       ("two-chairs", two_chairs)):
        out = IMAGES / f"{name}.jpg"
        save_jpeg(make(), out)
        print(f"{out.relative_to(HERE)}  {out.stat().st_size // 1024} KB")
    out = MUSIC / "calm-bed.mp3"
    write_mp3(synth_pad(), out)
    print(f"{out.relative_to(HERE)}  {out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
