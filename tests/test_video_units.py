"""Fast video tests without encoding: captions, timing, layout, motion, mixing."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from storygen.video import audio, captions
from storygen.video.formats import ASPECTS, VERTICAL_CLEAR, make_frame
from storygen.video.frames import slide_still
from storygen.video.motion import Move
from storygen.video.planes import Planes
from storygen.video.render import Job, build_plan
from storygen.video.slides import Pictures
from storygen.video.timeline import Plan, build_units
from video_fixtures import make_composite, make_project

WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Z")),
                min_size=1, max_size=14)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=80), st.lists(st.sampled_from([".", "!", "?", ",", ""]),
                                                          min_size=80, max_size=80))
def test_cues_keep_every_word_in_order_within_two_lines_of_42(words, punct):
    text = " ".join(w + p for w, p in zip(words, punct))
    cues = captions.chunk(text)
    assert " ".join(" ".join(c) for c in cues).split() == text.split()
    for lines in cues:
        assert 1 <= len(lines) <= captions.MAX_LINES
        assert all(0 < len(line) <= captions.MAX_LINE for line in lines)


def test_a_sentence_starts_a_new_cue():
    cues = captions.chunk("Short one. And here is the second sentence of the quote.")
    assert cues[0] == ("Short one.",)


def test_vtt_round_trips_times_voice_and_disclosure():
    cue = captions.Cue(1.0, 2.5, ("A & B <c>",), speaker="Sam")
    vtt = captions.to_vtt([cue], "A composite of 3 accounts.")
    assert vtt.startswith("WEBVTT\n\nNOTE\nA composite of 3 accounts.")
    assert "<v Sam>A &amp; B &lt;c&gt;" in vtt
    assert captions.parse_vtt_times(vtt) == [(1.0, 2.5, ["A & B <c>"])]
    assert "00:00:01,000 --> 00:00:02,500" in captions.to_srt([cue])


def test_units_carry_no_provenance_and_disclose_contributors():
    comp = make_composite()
    units = build_units(comp, "a narrator")
    blob = repr(units)
    assert "SECRET" not in blob and "deadbeef" not in blob
    assert units[0].kind == "title" and units[-1].kind == "end"
    assert units[-1].parts[0] == ("A composite of 3 accounts. Names and details changed. "
                                  "Voiced by a narrator.")
    quotes = [u for u in units if u.kind == "quote"]
    assert [u.speaker for u in quotes] == ["Sam"] * 3
    bridge = next(u for u in units if u.kind == "bridge")
    assert bridge.parts == ("Sam opens the folder again.",)       # Markdown stripped


def _plan(tmp_path, fmt="16:9", **kw) -> tuple[Plan, object, object]:
    project = make_project(tmp_path, music=False, **kw)
    job = Job(make_composite(formats=(fmt,)), fmt, "draft", False)
    plan, frame, theme, _ = build_plan(project, job)
    return plan, theme, Pictures(tmp_path / "assets", frame, "s", 1.0), project


def test_slides_tile_the_timeline_on_whole_frames_and_cues_stay_inside(tmp_path):
    plan, *_ = _plan(tmp_path)
    assert plan.slides[0].start_frame == 0
    for a, b in zip(plan.slides, plan.slides[1:]):
        assert a.start_frame + a.frames == b.start_frame
        assert a.frames >= plan.crossfade_frames
    assert sum(s.frames for s in plan.slides) == plan.total_frames
    for s in plan.slides:
        for cue in s.cues:
            assert s.start <= cue.start < cue.end <= s.end
    cue_words = " ".join(c.text for c in plan.cues).split()
    unit_words = " ".join(" ".join(u.parts) for u in plan.units).split()
    assert cue_words == unit_words        # every shown/spoken word is captioned, in order


def test_reading_speed_sets_durations_within_min_and_max(tmp_path):
    plan, _, _, project = _plan(tmp_path, words_per_minute=120, min_slide_seconds=2.0,
                                max_slide_seconds=6.0)
    for s in plan.slides:
        assert s.end - s.start >= 2.0 - 1e-9
        if s.unit.kind == "quote":
            assert s.end - s.start <= 6.0 + 1e-9
    quote = next(c for c in plan.cues if c.speaker)
    words = len(quote.text.split())
    assert quote.end - quote.start == pytest.approx(max(1.0, words * 60 / 120, len(quote.text) / 20))


def test_long_quote_is_paged_not_shrunk_away(tmp_path):
    project = make_project(tmp_path, music=False)
    long = " ".join(["We kept talking and the plan changed as we went."] * 12)
    job = Job(make_composite(quotes=[long, "Two.", "Three."]), "9:16", "draft", False)
    plan, *_ = build_plan(project, job)
    pages = [s for s in plan.slides if s.unit.kind == "quote" and s.unit.parts[0] == long]
    assert len(pages) >= 3
    assert " ".join(c.text for s in pages for c in s.cues).split() == long.split()


@pytest.mark.parametrize("fmt", list(ASPECTS))
def test_every_layout_keeps_text_in_the_safe_area(tmp_path, fmt):
    plan, theme, pictures, _ = _plan(tmp_path, fmt=fmt)
    frame = plan.frame
    x0, y0, x1, y1 = frame.safe
    if frame.vertical:
        assert y0 >= VERTICAL_CLEAR * frame.height and frame.height - y1 >= VERTICAL_CLEAR * frame.height
    for burn in (False, True):
        for k, slide in enumerate(plan.slides):
            im, ink = slide_still(plan, k, theme, pictures, burn)
            assert im.size == (frame.width, frame.height)
            for box in ink:
                assert x0 <= box[0] and y0 <= box[1] and box[2] <= x1 and box[3] <= y1, (fmt, slide.unit.kind, box)
            if slide.card and slide.unit.kind != "title":
                # pixels, not just boxes: the bands outside the safe area are plain background
                px = np.asarray(im)
                bg = np.array(theme.rgb("background"))
                assert (px[:y0] == bg).all() and (px[y1:] == bg).all()


def test_pan_and_zoom_is_subpixel_and_steady():
    move = Move(2208, 1242, 1920, 1080, 0)
    frames = 300
    boxes = np.array([move.box(i / (frames - 1)) for i in range(frames)])
    velocity = np.diff(boxes, axis=0)
    accel = np.diff(velocity, axis=0)
    # zoom and pan together make a gentle quadratic path: acceleration tiny and
    # steady. zoompan's whole-pixel rounding measured ~0.45 px/frame² here.
    assert np.abs(accel).max() < 0.01
    assert np.abs(np.diff(accel, axis=0)).max() < 1e-6
    step = np.abs(velocity[:, 0]).mean()
    assert 0 < step < 1.0                        # moves less than a pixel a frame: needs sub-pixel
    assert np.any(np.abs(boxes[:, 0] - np.round(boxes[:, 0])) > 0.1)
    for b in boxes:
        assert b[0] >= 0 and b[1] >= 0 and b[2] <= 2208 + 1e-6 and b[3] <= 1242 + 1e-6


def test_rendered_motion_is_smooth_in_pixels():
    # the picture's centre of brightness must move by a steady amount each frame
    x = np.linspace(0, 1, 600)
    src = Image.fromarray((np.outer(np.ones(360), np.exp(-((x - 0.5) ** 2) / 0.01)) * 255).astype("uint8")).convert("RGB")
    move = Move(600, 360, 320, 180, 0)
    src = Planes(np.asarray(src))
    centres = []
    for i in range(60):
        a = np.asarray(move.render(src, i / 59).convert("L"), dtype=np.float64).sum(axis=0)
        centres.append((a * np.arange(a.size)).sum() / a.sum())
    accel = np.diff(np.diff(centres))
    # warpAffine places samples to 1/32 pixel, so a position may be off by 1/64 and a
    # second difference by up to ~0.06; whole-pixel rounding (zoompan) shows ~0.45
    assert np.abs(accel).max() < 0.1
    assert np.abs(accel).mean() < 0.03


def _write_wav(path: Path, data: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes((np.clip(data, -1, 1) * 32767).astype(np.int16).tobytes())


def test_music_is_looped_faded_and_ducked_under_speech(tmp_path):
    from storygen.video.voice import ClipRef
    t = np.arange(48000 * 2) / 48000
    music = np.stack([0.2 * np.sin(2 * np.pi * 220 * t)] * 2, axis=1)
    _write_wav(tmp_path / "music.wav", music)                     # 2 s: must loop
    speech = np.stack([0.3 * np.sin(2 * np.pi * 600 * t[:48000])] * 2, axis=1)
    _write_wav(tmp_path / "voice.wav", speech)                    # 1 s of "speech"

    class P:                                                      # the parts of a plan mix() reads
        frame = make_frame("16:9", "draft", 30)
        total_frames = 300                                        # 10 s
        placements = [(4.0, ClipRef(str(tmp_path / "voice.wav")))]
    out = tmp_path / "mix.wav"
    assert audio.mix(P, tmp_path / "music.wav", out, "s", audio.AudioFiles())
    with wave.open(str(out)) as w:
        assert w.getframerate() == 48000 and w.getnframes() == 480000
        mixed = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).reshape(-1, 2)[:, 0] / 32768

    def band_rms(sig, a, b, f):                                   # level of one tone in a window
        seg = sig[int(a * 48000):int(b * 48000)]
        spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size)))
        k = int(round(f * seg.size / 48000))
        return spec[k - 3:k + 4].max()
    between = band_rms(mixed, 2.7, 3.3, 220)      # equal 0.6 s windows: comparable peaks
    under = band_rms(mixed, 4.3, 4.9, 220)
    later = band_rms(mixed, 6.2, 6.8, 220)                         # after the loop point too
    assert 20 * np.log10(between / under) == pytest.approx(10.0, abs=1.0)
    assert later == pytest.approx(between, rel=0.1)
    assert np.abs(mixed[:480]).max() < 0.01                        # faded in
    assert np.abs(mixed[-480:]).max() < 0.01                       # faded out


def test_video_frames_match_the_stills_drawn_in_rgb(tmp_path):
    # The encoder gets I420 frames (planes.py); cards are drawn in RGB and converted
    # once. Converted back, every slide's video frame must look like its still.
    from storygen.video import planes
    from storygen.video.frames import drawer
    plan, theme, pictures, _ = _plan(tmp_path, fmt="16:9")
    for burn in (False, True):
        for slide in plan.slides:
            d = drawer(slide, plan, theme, pictures, burn)
            f = slide.start_frame + slide.frames // 2
            rgb = np.asarray(d.at(f), dtype=np.int16)
            yuv = planes.to_rgb(d.frame_at(f)).astype(np.int16)
            diff = np.abs(rgb - yuv)
            # 4:2:0 halves colour detail, so single pixels at sharp coloured edges
            # differ; on average they agree to a few levels in 255
            assert diff.mean() < 3.0, (slide.unit.kind, burn, diff.mean())


def test_yuv_conversion_is_bt709_limited_range():
    from storygen.video import planes
    solid = {(255, 255, 255): (235, 128, 128), (0, 0, 0): (16, 128, 128),
             # BT.709 red: Y 63, Cb 102, Cr 240 (ITU-R BT.709 table, 8-bit)
             (255, 0, 0): (63, 102, 240), (0, 0, 255): (32, 240, 118)}
    for rgb, yuv in solid.items():
        frame = planes.i420(np.full((4, 4, 3), rgb, np.uint8))
        y, u, v = planes.views(frame, 4, 4)
        assert (int(y[0, 0]), int(u[0, 0]), int(v[0, 0])) == yuv, rgb
        assert np.abs(planes.to_rgb(frame).astype(int) - rgb).max() <= 1


def test_overlay_in_yuv_equals_blending_in_rgb():
    from storygen.video import planes
    bg = np.zeros((8, 8, 3), np.uint8)
    bg[:] = (200, 120, 40)
    panel = np.zeros((4, 4, 4), np.uint8)
    panel[:] = (0, 0, 0, 180)
    frame = planes.i420(bg)
    planes.Overlay(panel, (2, 2)).apply(frame, 8, 8)
    got = planes.to_rgb(frame).astype(int)
    expected = np.rint(np.array([200, 120, 40]) * (1 - 180 / 255))
    # inside the panel (at its edge, 4:2:0's half-size colour blends with the outside)
    assert np.abs(got[3:5, 3:5] - expected).max() <= 2
    assert np.abs(got[0, 0] - [200, 120, 40]).max() <= 1          # outside the panel: untouched
    with pytest.raises(ValueError):
        planes.Overlay(panel, (1, 2))


def test_pictures_convert_band_by_band_exactly_as_whole():
    from storygen.video import planes
    rng = np.random.default_rng(3)
    for h, w in ((300, 401), (257, 256), (128, 130)):
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        whole, banded = planes.Planes(rgb, band=h), planes.Planes(rgb)
        for a, b in ((whole.y, banded.y), (whole.u, banded.u), (whole.v, banded.v)):
            assert a.shape == b.shape and (a == b).all()


def test_card_pages_turn_at_sentence_ends_when_they_can(tmp_path):
    # The bundled sample (the repository root): its "six weeks" quotation used to
    # turn the page after "…the same family's", mid-sentence.
    from storygen.compose.assemble import compose_all
    from storygen.project import load_project
    project = load_project(Path(__file__).resolve().parent.parent)
    [comp] = [c for c in compose_all(project, [s for s in project.stories if s.approved])
              if c.story.slug == "room-to-do-the-job"]
    plan, *_ = build_plan(project, Job(comp, "16:9", "final", True))
    pages = [s for s in plan.slides if s.unit.kind == "quote" and "six weeks" in s.unit.parts[0]]
    assert len(pages) >= 2
    for page in pages[:-1]:
        assert page.cues[-1].text.rstrip("”").endswith((".", "?", "!")), page.cues[-1].text


@pytest.mark.skipif(not __import__("shutil").which("espeak-ng"), reason="espeak-ng is not installed")
def test_speech_is_synthesised_once_per_phrase_across_plans(tmp_path):
    # preflight, the render and every other format plan the same phrases: the second
    # plan must take every clip from the speech cache, not run espeak-ng again
    project = make_project(tmp_path, music=False, voice="espeak")
    build_plan(project, Job(make_composite(), "16:9", "draft", False))
    clips = sorted((tmp_path / ".storygen-cache" / "speech").glob("*.wav"))
    assert clips
    stamps = [p.stat().st_mtime_ns for p in clips]
    build_plan(project, Job(make_composite(), "9:16", "draft", False))
    assert sorted((tmp_path / ".storygen-cache" / "speech").glob("*.wav")) == clips
    assert [p.stat().st_mtime_ns for p in clips] == stamps
